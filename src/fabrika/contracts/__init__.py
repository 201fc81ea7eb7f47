"""What crosses between services: the order vocabulary, the quote document, the saga's step
outcomes and the MES's production results. Every service may import it; it imports no
service (only `fabrika.core`), so it sits at the bottom of the import graph.

Wire bodies are pydantic models. JSON documents that are stored (the quote in the CRM and
the MES) or recorded by DBOS (step outcomes, workflow inputs) are TypedDicts: they stay
plain dicts at run time, so what was recorded before a change still reads the same.
"""

from pydantic import JsonValue

JsonObject = dict[str, JsonValue]
"""A JSON object: what DBOS records of a workflow's input, say, before it is validated."""
