"""A package with two branches (sc.exe stop, net.exe stop) written in all seven languages, the
queries the mutation suite seeds bugs into. Built from tests/fixtures/base.yml."""
from __future__ import annotations

from tests.fixtures.common import BASE

QUERIES = {
    "kql": '''DeviceProcessEvents
| where (FileName =~ "sc.exe" and ProcessCommandLine has "stop")
    or (FileName =~ "net.exe" and ProcessCommandLine has "stop")
''',
    "spl": '''index=windows EventCode=1
    ((Image="*\\\\sc.exe" CommandLine="*stop*") OR (Image="*\\\\net.exe" CommandLine="*stop*"))
| table _time host CommandLine
''',
    "eql": '''process where
  (process.name : "sc.exe" and process.command_line : "*stop*") or
  (process.name : "net.exe" and process.command_line : "*stop*")
''',
    "aql": '''SELECT sourceip, username FROM events
WHERE (LOWER("Process Name") = 'sc.exe' AND "Process CommandLine" ILIKE '%stop%')
   OR (LOWER("Process Name") = 'net.exe' AND "Process CommandLine" ILIKE '%stop%')
LAST 24 HOURS
''',
    "sumo": '''_sourceCategory=windows/sysmon
| json field=_raw "EventData.Image", "EventData.CommandLine" as image, command_line
| where (toLowerCase(image) matches "*\\\\sc.exe" and toLowerCase(command_line) matches "*stop*")
    or (toLowerCase(image) matches "*\\\\net.exe" and toLowerCase(command_line) matches "*stop*")
| count by _sourceHost
''',
    "yaral": '''rule fixture_service_stop {
  meta:
    author = "Fixture Author"
  events:
    $e.metadata.event_type = "PROCESS_LAUNCH"
    (
      ($e.target.process.file.full_path = /\\\\sc\\.exe$/ nocase and $e.target.process.command_line = /stop/ nocase) or
      ($e.target.process.file.full_path = /\\\\net\\.exe$/ nocase and $e.target.process.command_line = /stop/ nocase)
    )
  condition:
    $e
}
''',
    "logscale": '''#event_simpleName=ProcessRollup2
| case {
    FileName=/^sc\\.exe$/i CommandLine=/stop/i ;
    FileName=/^net\\.exe$/i CommandLine=/stop/i ;
  }
| table([ComputerName, CommandLine])
''',
}

SIGMA = '''sigma:
  rules:
    - logsource:
        category: process_creation
        product: windows
      detection:
        selection_sc:
          Image|endswith: '\\sc.exe'
          CommandLine|contains: stop
        selection_net:
          Image|endswith: '\\net.exe'
          CommandLine|contains: stop
        condition: 1 of selection_*
'''

SAMPLES = '''    samples:
      match:
        - {EventID: 1, Image: 'C:\\Windows\\System32\\sc.exe', CommandLine: sc stop WinDefend}
        - {EventID: 1, Image: 'C:\\Windows\\System32\\net.exe', CommandLine: net stop WinDefend}
      no_match:
        - {EventID: 1, Image: 'C:\\Windows\\System32\\sc.exe', CommandLine: sc query WinDefend}
        - {EventID: 1, Image: 'C:\\Windows\\System32\\net.exe', CommandLine: net start WinDefend}
'''


def _indented(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines())


def package_text(queries: dict[str, str] | None = None) -> str:
    """The two-branch package, with `queries` (key -> text) in place of the defaults."""
    chosen = {**QUERIES, **(queries or {})}
    start = BASE.index("queries:\n")
    end = BASE.index("sigma:\n")
    block = "queries:\n" + "".join(f"  {key}: |\n{_indented(text)}" for key, text in chosen.items())
    text = BASE[:start] + block + BASE[end:]
    sigma_start = text.index("sigma:\n")
    sigma_end = text.index("false_positives:\n")
    text = text[:sigma_start] + SIGMA + text[sigma_end:]
    samples_start = text.index("    samples:\n")  # the base's samples close the file
    return text[:samples_start] + SAMPLES
