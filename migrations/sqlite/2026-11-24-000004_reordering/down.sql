DROP TABLE purchase_order_lines;
DROP TABLE purchase_orders;
DROP TABLE course_sessions;
DROP TABLE courses;
