-- One budget of calls to ANAF for the whole portal, whatever the number of instances: how many
-- calls each minute has used (ANAF counts about 1,000 a minute per client, shared with the
-- integrators' own calls), and until when every call waits because ANAF answered 429.
CREATE TABLE anaf_call_minutes (
    minute TIMESTAMP PRIMARY KEY NOT NULL,
    calls INTEGER NOT NULL
);
CREATE TABLE anaf_call_pause (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    until TIMESTAMP NOT NULL
);
