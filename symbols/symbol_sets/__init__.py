"""The symbol-set domain: upload planning, container formats, blob keys, indexing
(pure build, process pool, processing) and failure reasons. No HTTP here."""
