"""How values are stored in attributes and arrays: the one attribute decoder and encoder
(:mod:`.attrs`, PyMoDAQ's JSON envelope and native values), string rows (:mod:`.strings`)
and settings XML (:mod:`.settings`). Pure: bytes and values in, values and bytes out."""
