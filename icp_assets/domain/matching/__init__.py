"""Seeds to ACRA entities: name normalisation, the matcher, its saved index, the matching stage."""
