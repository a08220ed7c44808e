"""The CIM data models `tstats ... from datamodel=` reads, as data: each dataset's constraint
tags (an event belongs to the dataset when it carries all of them) and its fields.

Source: Splunk Common Information Model 6.2, "Endpoint", "Network Traffic", "Authentication",
"Change" reference tables (help.splunk.com/data-management/common-information-model/6.2/data-models),
read 2026-12-07. "All Splunk data model datasets can use the base fields _time, host, source, and
sourcetype" (BASE_FIELDS). A field the model does not list is not a data model field: tstats
cannot read it, so a query naming one is not evaluated.
"""
from __future__ import annotations

BASE_FIELDS = frozenset({"_time", "host", "source", "sourcetype", "index"})

_ENDPOINT_COMMON = """action dest dest_bunit dest_category dest_priority dest_requires_av dest_should_timesync
    dest_should_update user user_bunit user_category user_priority vendor_product tag""".split()

DATASETS: dict[str, dict] = {
    "Endpoint.Processes": {"tags": ("process", "report"), "fields": frozenset(_ENDPOINT_COMMON + """
        cpu_load_percent dest_is_expected mem_used original_file_name os parent_process parent_process_exec
        parent_process_guid parent_process_id parent_process_name parent_process_path process process_current_directory
        process_exec process_guid process_hash process_id process_integrity_level process_name process_path
        user_id""".split())},
    "Endpoint.Registry": {"tags": ("endpoint", "registry"), "fields": frozenset(_ENDPOINT_COMMON + """
        process_guid process_id process_name process_path registry_hive registry_key_name registry_path
        registry_value_data registry_value_name registry_value_text registry_value_type status
        user_id""".split())},
    "Endpoint.Services": {"tags": ("service", "report"), "fields": frozenset(_ENDPOINT_COMMON + """
        description process_guid service service_dll service_dll_path service_dll_hash service_dll_signature_exists
        service_dll_signature_verified service_exec service_hash service_id service_name service_path
        service_signature_exists service_signature_verified start_mode status""".split())},
    "Endpoint.Filesystem": {"tags": ("endpoint", "filesystem"), "fields": frozenset(_ENDPOINT_COMMON + """
        file_access_time file_acl file_create_time file_hash file_modify_time file_name file_path file_size
        process_guid process_id""".split())},
    "Endpoint.Ports": {"tags": ("listening", "port"), "fields": frozenset(_ENDPOINT_COMMON + """
        creation_time dest_port process_guid process_id src src_port state transport transport_dest_port
        """.split())},
    "Network_Traffic.All_Traffic": {"tags": ("network", "communicate"), "fields": frozenset("""
        action app bytes bytes_in bytes_out channel dest dest_interface dest_ip dest_mac dest_port dest_zone
        direction duration dvc flow_id icmp_code icmp_type packets packets_in packets_out protocol
        protocol_version response_time rule session_id src src_interface src_ip src_mac src_port src_zone
        ssid tcp_flag transport user vendor_product vlan tag""".split())},
    "Authentication.Authentication": {"tags": ("authentication",), "fields": frozenset("""
        action app authentication_method authentication_service dest dest_nt_domain duration reason
        response_time signature signature_id src src_nt_domain src_user user user_id vendor_product
        tag""".split())},
    "Change.All_Changes": {"tags": ("change",), "fields": frozenset("""
        action change_type command dest dvc image_id object object_attrs object_category object_id object_path
        result result_id src status user vendor_product tag""".split())},
}
# `from datamodel=Endpoint` alone names the model's root, whose events are those of any dataset;
# not evaluated (the root has no constraint of its own to test).


def dataset(name: str) -> dict | None:
    return DATASETS.get(name)
