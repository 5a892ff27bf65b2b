-- A token that changes with every write to a clinic's courses, their planned sessions and
-- its cocktails, so the stock views can keep the planned use read from them in memory
-- and reread it only when it changed (issue 12, `db::planning::plan`). Like
-- catalog_version: random, and moved by triggers whoever writes.
ALTER TABLE clinics ADD COLUMN plan_version TEXT NOT NULL DEFAULT '';
UPDATE clinics SET plan_version = lower(hex(randomblob(16)));

CREATE TRIGGER courses_plan_insert AFTER INSERT ON courses BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER courses_plan_update AFTER UPDATE ON courses BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER courses_plan_delete AFTER DELETE ON courses BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = OLD.clinic_id;
END;
CREATE TRIGGER course_sessions_plan_insert AFTER INSERT ON course_sessions BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER course_sessions_plan_update AFTER UPDATE ON course_sessions BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER course_sessions_plan_delete AFTER DELETE ON course_sessions BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = OLD.clinic_id;
END;
CREATE TRIGGER formulations_plan_insert AFTER INSERT ON formulations BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER formulations_plan_update AFTER UPDATE ON formulations BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER formulations_plan_delete AFTER DELETE ON formulations BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = OLD.clinic_id;
END;
CREATE TRIGGER formulation_versions_plan_insert AFTER INSERT ON formulation_versions BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER formulation_versions_plan_update AFTER UPDATE ON formulation_versions BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER formulation_versions_plan_delete AFTER DELETE ON formulation_versions BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = OLD.clinic_id;
END;
CREATE TRIGGER formulation_components_plan_insert AFTER INSERT ON formulation_components BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER formulation_components_plan_update AFTER UPDATE ON formulation_components BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = NEW.clinic_id;
END;
CREATE TRIGGER formulation_components_plan_delete AFTER DELETE ON formulation_components BEGIN
  UPDATE clinics SET plan_version = lower(hex(randomblob(16))) WHERE id = OLD.clinic_id;
END;
