CREATE TABLE visits (
    id    integer PRIMARY KEY,
    count bigint  NOT NULL DEFAULT 0
);
INSERT INTO visits (id, count) VALUES (1, 0);
