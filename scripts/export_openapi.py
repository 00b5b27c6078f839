"""Write the served OpenAPI document to openapi/openapi.json (run by `make openapi`)."""

import json
from pathlib import Path

from app.main import app

target = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
target.write_text(json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n")
print(f"wrote {target}")
