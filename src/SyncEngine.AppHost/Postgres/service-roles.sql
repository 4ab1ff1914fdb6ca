-- SyncEngine's PostgreSQL roles: each service logs in as its own role (syncengine_auth, syncengine_workspace,
-- syncengine_sync) that owns its schema and nothing else, and shares Wolverine's queue schema (wolverine_queues)
-- through the group role syncengine_messaging. No service can read another's schema, and none is a superuser.
--
-- The AppHost runs this itself for the PostgreSQL it starts (binaries or container). For an external server an
-- operator runs it once, and again after changing a password, as a superuser (or the database owner with CREATEROLE)
-- on the application database; passwords come in as settings so they stay out of the file and the shell history:
--
--   PGOPTIONS="-c syncengine.auth_password=$AUTH_PW -c syncengine.workspace_password=$WORKSPACE_PW -c syncengine.sync_password=$SYNC_PW" \
--     psql "host=db.example user=postgres dbname=syncengine" -v ON_ERROR_STOP=1 -f service-roles.sql
--
-- Running it again is safe: it creates what is missing, resets the passwords, and hands objects that another role
-- created (e.g. postgres, when every service connected as the superuser) to the role that must own them.
DO $provision$
DECLARE
    service text;
    owner_role text;
    schema_name text;
    object record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'syncengine_messaging') THEN
        CREATE ROLE syncengine_messaging NOLOGIN;
    END IF;
    -- Each service provisions the queues it uses, whoever comes first; the group owns the schema so any of them can.
    CREATE SCHEMA IF NOT EXISTS wolverine_queues AUTHORIZATION syncengine_messaging;
    ALTER SCHEMA wolverine_queues OWNER TO syncengine_messaging;

    FOREACH service IN ARRAY ARRAY['auth', 'workspace', 'sync'] LOOP
        owner_role := 'syncengine_' || service;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = owner_role) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', owner_role);
        END IF;
        EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD %L',
            owner_role, current_setting('syncengine.' || service || '_password'));
        EXECUTE format('GRANT syncengine_messaging TO %I', owner_role);
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), owner_role);
        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', service, owner_role);
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', service, owner_role);
        -- A queue table belongs to the service that created it; every other service sends to it and reads it too.
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA wolverine_queues GRANT ALL ON TABLES TO syncengine_messaging', owner_role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA wolverine_queues GRANT ALL ON SEQUENCES TO syncengine_messaging', owner_role);
    END LOOP;

    -- Objects made by another role change hands: a service's schema to its role, the queue schema to the group (whose
    -- members may then alter any queue table, whichever service created it).
    FOREACH schema_name IN ARRAY ARRAY['auth', 'workspace', 'sync', 'wolverine_queues'] LOOP
        owner_role := CASE schema_name WHEN 'wolverine_queues' THEN 'syncengine_messaging' ELSE 'syncengine_' || schema_name END;
        FOR object IN
            SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                       WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind,
                   format('%I.%I', n.nspname, c.relname) AS name
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = schema_name
              AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
              AND pg_get_userbyid(c.relowner) <> owner_role
              -- A sequence behind a serial or identity column follows its table.
              AND NOT (c.relkind = 'S' AND EXISTS (
                  SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
        LOOP
            EXECUTE format('ALTER %s %s OWNER TO %I', object.kind, object.name, owner_role);
        END LOOP;
        FOR object IN
            SELECT p.oid::regprocedure AS name
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = schema_name AND p.prokind IN ('f', 'p') AND pg_get_userbyid(p.proowner) <> owner_role
        LOOP
            EXECUTE format('ALTER ROUTINE %s OWNER TO %I', object.name, owner_role);
        END LOOP;
        FOR object IN
            SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END AS kind, format('%I.%I', n.nspname, t.typname) AS name
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = schema_name AND t.typtype IN ('e', 'd') AND pg_get_userbyid(t.typowner) <> owner_role
        LOOP
            EXECUTE format('ALTER %s %s OWNER TO %I', object.kind, object.name, owner_role);
        END LOOP;
    END LOOP;
END
$provision$;
