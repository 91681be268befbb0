-- A per-user counter that changes whenever anything shown in the user's company list changes (a
-- company, its token, or the user's memberships). Pages keep the user's list in memory and reuse it
-- while the counter they read with the session is the one it was built at; the triggers keep the
-- counter exact whichever instance, command or future code path writes.
ALTER TABLE users ADD COLUMN listing_version BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER anaf_tokens_listing_insert AFTER INSERT ON anaf_tokens BEGIN
    UPDATE users SET listing_version = listing_version + 1
    WHERE id IN (SELECT user_id FROM company_members WHERE company_id = NEW.company_id);
END;
CREATE TRIGGER anaf_tokens_listing_update AFTER UPDATE ON anaf_tokens BEGIN
    UPDATE users SET listing_version = listing_version + 1
    WHERE id IN (SELECT user_id FROM company_members WHERE company_id = NEW.company_id);
END;
CREATE TRIGGER anaf_tokens_listing_delete AFTER DELETE ON anaf_tokens BEGIN
    UPDATE users SET listing_version = listing_version + 1
    WHERE id IN (SELECT user_id FROM company_members WHERE company_id = OLD.company_id);
END;

CREATE TRIGGER companies_listing_update AFTER UPDATE ON companies BEGIN
    UPDATE users SET listing_version = listing_version + 1
    WHERE id IN (SELECT user_id FROM company_members WHERE company_id = NEW.id);
END;
-- Before: the memberships are still there to say whose lists change.
CREATE TRIGGER companies_listing_delete BEFORE DELETE ON companies BEGIN
    UPDATE users SET listing_version = listing_version + 1
    WHERE id IN (SELECT user_id FROM company_members WHERE company_id = OLD.id);
END;

CREATE TRIGGER company_members_listing_insert AFTER INSERT ON company_members BEGIN
    UPDATE users SET listing_version = listing_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER company_members_listing_update AFTER UPDATE ON company_members BEGIN
    UPDATE users SET listing_version = listing_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER company_members_listing_delete AFTER DELETE ON company_members BEGIN
    UPDATE users SET listing_version = listing_version + 1 WHERE id = OLD.user_id;
END;
