DROP TABLE movements;
DROP TABLE lots;
DROP TABLE products;
DROP TABLE suppliers;
DROP TABLE staff;
DROP TABLE clinics;
