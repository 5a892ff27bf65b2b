-- A token that changes with every write to a clinic's courses, their planned sessions and
-- its cocktails, so the stock views can keep the planned use read from them in memory
-- and reread it only when it changed (issue 12, `db::planning::plan`). Like
-- catalog_version: random, and moved by triggers whoever writes.
ALTER TABLE clinics ADD COLUMN plan_version TEXT NOT NULL DEFAULT '';
UPDATE clinics SET plan_version = md5(random()::text || clock_timestamp()::text);

CREATE FUNCTION bump_plan_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE clinics SET plan_version = md5(random()::text || clock_timestamp()::text)
   WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.clinic_id ELSE NEW.clinic_id END;
  RETURN NULL;
END
$$;

CREATE TRIGGER courses_plan_version AFTER INSERT OR UPDATE OR DELETE ON courses
  FOR EACH ROW EXECUTE FUNCTION bump_plan_version();

CREATE TRIGGER course_sessions_plan_version AFTER INSERT OR UPDATE OR DELETE ON course_sessions
  FOR EACH ROW EXECUTE FUNCTION bump_plan_version();

CREATE TRIGGER formulations_plan_version AFTER INSERT OR UPDATE OR DELETE ON formulations
  FOR EACH ROW EXECUTE FUNCTION bump_plan_version();

CREATE TRIGGER formulation_versions_plan_version AFTER INSERT OR UPDATE OR DELETE ON formulation_versions
  FOR EACH ROW EXECUTE FUNCTION bump_plan_version();

CREATE TRIGGER formulation_components_plan_version AFTER INSERT OR UPDATE OR DELETE ON formulation_components
  FOR EACH ROW EXECUTE FUNCTION bump_plan_version();
