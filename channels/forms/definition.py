"""Form definitions: one YAML file a form (``<slug>.yaml``), validated when loaded."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class FormField(BaseModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    label: str
    type: Literal["text", "textarea", "email", "tel", "select", "file"] = "text"
    required: bool = False
    max_length: int = Field(2000, ge=1, le=20000)
    choices: list[str] = Field(default_factory=list)
    help: str = ""


class FormDefinition(BaseModel):
    slug: str = ""
    title: str
    intro: str = ""
    language: Literal["en", "fi", "sv", "uk"] = "en"
    category_id: int | None = None
    subject_field: str = Field("", description="The field whose value is the ticket subject")
    fields: list[FormField]

    @model_validator(mode="after")
    def _check(self) -> FormDefinition:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError("field names must be unique")
        if "website" in names:
            raise ValueError("'website' is reserved (the spam trap)")
        if not any(f.type == "email" and f.required for f in self.fields):
            raise ValueError("a form needs a required email field (who to answer)")
        if self.subject_field and self.subject_field not in names:
            raise ValueError(f"subject_field {self.subject_field!r} is not a field")
        for field in self.fields:
            if field.type == "select" and not field.choices:
                raise ValueError(f"select field {field.name!r} needs choices")
        return self

    @property
    def contact_field(self) -> FormField:
        return next(f for f in self.fields if f.type == "email" and f.required)


class FormError(ValueError):
    pass


def load_forms(folder: Path) -> dict[str, FormDefinition]:
    """Every form in the folder; FormError naming the file for any invalid one."""
    forms: dict[str, FormDefinition] = {}
    for path in sorted(folder.glob("*.yaml")):
        slug = path.stem
        if not SLUG.match(slug):
            raise FormError(f"{path}: file names are lowercase letters, digits and dashes")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            forms[slug] = FormDefinition.model_validate({**(data or {}), "slug": slug})
        except (yaml.YAMLError, ValidationError, TypeError) as exc:
            raise FormError(f"{path}: {exc}") from exc
    return forms
