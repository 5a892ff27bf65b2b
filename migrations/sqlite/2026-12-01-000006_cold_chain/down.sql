DROP TABLE excursion_lots;
DROP TABLE excursions;
DROP TABLE lot_places;
DROP TABLE fridge_readings;
DROP TABLE fridges;
