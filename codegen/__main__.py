"""``python -m codegen COMMAND [VERSION ...]``

Commands:
  fetch      copy/download the pinned specs into .cache/openapi/ (sha256-checked)
  normalise  fetch, then write .cache/openapi/<version>/normalised.json and print what each rule changed
  generate   fetch, normalise, generate intercom_async/<module>/ (fail on any generator warning), the
             generated docs and the API change reports of consecutive versions (docs/api-changes/)
  api-diff FROM TO   print the Markdown report of what changes from version FROM to version TO
  update-specs [--upstream PATH | --github REF] [--apply] [--no-generate] [--report FILE]
             compare the pins with upstream intercom/Intercom-OpenAPI; classify; with --apply re-pin,
             regenerate, draft the CHANGELOG entry (codegen/update_specs.py; exit codes there)
With no VERSION, every pinned version (openapi/versions.toml).
"""

from __future__ import annotations

import sys

from .fetch import FetchError, fetch
from .pins import load_pins, select


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    command, names = argv[0], argv[1:]
    if command == "update-specs":
        from .update_specs import main as update_specs

        return update_specs(names)
    pins = select(load_pins(), names)
    try:
        if command == "fetch":
            for pin in pins:
                print(f"[{pin.name}] {fetch(pin)} (sha256 ok)")
        elif command == "normalise":
            from .generate import normalised_spec
            from .pins import load_naming_pins

            for pin in pins:
                normalised_spec(pin, verbose=True)
            for naming in load_naming_pins():  # the tests read Intercom's naming table from the cache too
                fetch(naming)
        elif command == "api-diff":
            from .api_diff import report
            from .generate import naming_table, normalised_json

            if len(pins) != 2 or not names:
                print("codegen: api-diff needs two versions: FROM TO", file=sys.stderr)
                return 2
            old, new = pins
            print(report(old, normalised_json(old), new, normalised_json(new), naming_table()), end="")
        elif command == "generate":
            from .errors import GenerationError
            from .generate import generate, generate_versions_module
            from .pins import default_version

            try:
                for pin in pins:
                    generate(pin)
                generate_versions_module(load_pins(), default_version())
            except GenerationError as exc:
                print(f"codegen: {exc}", file=sys.stderr)
                return 1
        else:
            print(f"codegen: unknown command {command!r}\n{__doc__}", file=sys.stderr)
            return 2
    except FetchError as exc:
        print(f"codegen: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
