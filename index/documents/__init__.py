"""Documents into passages: reading files into canonical text, titles, sections, boilerplate, chunking."""
