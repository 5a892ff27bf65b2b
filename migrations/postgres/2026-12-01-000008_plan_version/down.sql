DROP TRIGGER formulation_components_plan_version ON formulation_components;
DROP TRIGGER formulation_versions_plan_version ON formulation_versions;
DROP TRIGGER formulations_plan_version ON formulations;
DROP TRIGGER course_sessions_plan_version ON course_sessions;
DROP TRIGGER courses_plan_version ON courses;
DROP FUNCTION bump_plan_version();
ALTER TABLE clinics DROP COLUMN plan_version;
