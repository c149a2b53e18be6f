"""check_schema.py SCHEMA REPORT: validates a geoprosp report against docs/schema (draft 2020-12).

Exits 1 with every violation listed when the report does not fit the schema."""
import json
import pathlib
import sys

import jsonschema

schema_path, report_path = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
store = {}
for path in schema_path.parent.glob("*.schema.json"):
    schema = json.loads(path.read_text())
    store[schema["$id"]] = schema
schema = json.loads(schema_path.read_text())
resolver = jsonschema.RefResolver.from_schema(schema, store=store)
validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
errors = sorted(validator.iter_errors(json.loads(report_path.read_text())), key=lambda e: list(e.absolute_path))
for error in errors:
    print(f"{report_path.name}: /{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}")
sys.exit(1 if errors else 0)
