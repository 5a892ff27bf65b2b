-- Days between maintenance sessions after a course's last session; 0 means none, NULL
-- (courses planned before) the area's default.
ALTER TABLE courses ADD COLUMN maintenance_every_days BIGINT;
