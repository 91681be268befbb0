-- One budget of calls to ANAF for the whole portal, whatever the number of instances. call_counts
-- holds how many calls each counter had in each period: 'anaf' per minute (ANAF counts about 1,000
-- a minute per client, shared with the integrators' own calls), 'rights-probe:<CIF>' per day (the
-- listing quota of 1,500 a day per CIF belongs to the integrators). anaf_call_pause says until when
-- every call waits because ANAF answered 429.
CREATE TABLE call_counts (
    counter TEXT NOT NULL,
    period TIMESTAMP NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (counter, period)
);
CREATE TABLE anaf_call_pause (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    until TIMESTAMP NOT NULL
);
