"""More benchmark areas of the members app, one module each (`bench <AREA>`), beside members/bench.py."""
