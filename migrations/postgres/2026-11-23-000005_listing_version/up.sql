-- A per-user counter that changes whenever anything shown in the user's company list changes (a
-- company, its token, or the user's memberships). Pages keep the user's list in memory and reuse it
-- while the counter they read with the session is the one it was built at; the triggers keep the
-- counter exact whichever instance, command or future code path writes.
ALTER TABLE users ADD COLUMN listing_version BIGINT NOT NULL DEFAULT 0;

-- Rows are locked in id order so two transactions bumping the same members cannot deadlock. The
-- lock is NO KEY UPDATE (what the UPDATE takes anyway): FOR UPDATE would also wait for the KEY
-- SHARE locks that inserting a row referencing the user (`created_by`) takes, and two callbacks of
-- one user storing tokens at once deadlocked on it.
CREATE FUNCTION bump_listing_version_of_members(company BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM users WHERE id IN (SELECT user_id FROM company_members WHERE company_id = company)
        ORDER BY id FOR NO KEY UPDATE;
    UPDATE users SET listing_version = listing_version + 1
    WHERE id IN (SELECT user_id FROM company_members WHERE company_id = company);
END $$;

CREATE FUNCTION anaf_tokens_listing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM bump_listing_version_of_members(OLD.company_id);
    ELSE
        PERFORM bump_listing_version_of_members(NEW.company_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER anaf_tokens_listing AFTER INSERT OR UPDATE OR DELETE ON anaf_tokens
    FOR EACH ROW EXECUTE FUNCTION anaf_tokens_listing();

CREATE FUNCTION companies_listing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM bump_listing_version_of_members(OLD.id);
        RETURN OLD;
    END IF;
    PERFORM bump_listing_version_of_members(NEW.id);
    RETURN NEW;
END $$;
-- Before a delete: the memberships are still there to say whose lists change.
CREATE TRIGGER companies_listing_delete BEFORE DELETE ON companies
    FOR EACH ROW EXECUTE FUNCTION companies_listing();
CREATE TRIGGER companies_listing_update AFTER UPDATE ON companies
    FOR EACH ROW EXECUTE FUNCTION companies_listing();

CREATE FUNCTION company_members_listing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE users SET listing_version = listing_version + 1 WHERE id = NEW.user_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE users SET listing_version = listing_version + 1 WHERE id = OLD.user_id;
    ELSE
        PERFORM 1 FROM users WHERE id IN (OLD.user_id, NEW.user_id) ORDER BY id FOR NO KEY UPDATE;
        UPDATE users SET listing_version = listing_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER company_members_listing AFTER INSERT OR UPDATE OR DELETE ON company_members
    FOR EACH ROW EXECUTE FUNCTION company_members_listing();
