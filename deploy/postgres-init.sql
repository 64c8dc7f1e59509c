-- The Prefect server keeps its own database beside Folio's.
CREATE DATABASE prefect OWNER folio;
