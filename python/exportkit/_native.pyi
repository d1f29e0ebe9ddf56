"""Type stubs of the Rust extension module ``exportkit._native`` (python/src/lib.rs).

Use the public API (``exportkit.convert``, ``exportkit.formats``, ``exportkit.Converter``)
rather than this module: its signatures may change between releases.
"""

from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Union

__version__: str

def formats(
    config_xml: Optional[str] = None,
    config_path: Optional[str] = None,
    config_name: str = "label config",
) -> List[Dict[str, Any]]: ...
def parse_config_dict(config_xml: str, config_name: str = "label config") -> Dict[str, Any]: ...
def convert(
    format: str,
    out: str,
    *,
    path: Optional[str] = None,
    data: Optional[bytes] = None,
    chunks: Optional[Iterable[Union[bytes, str]]] = None,
    target_kind: str = "auto",
    config_xml: Optional[str] = None,
    config_path: Optional[str] = None,
    config_name: str = "label config",
    check_support: bool = True,
    compat: bool = False,
    threads: int = 0,
    batch_size: int = 1000,
    only_annotated: bool = False,
    task_ids: Optional[List[str]] = None,
    annotations: List[str] = ...,
    drafts: bool = True,
    predictions: bool = True,
    header: bool = True,
    annotation: str = "latest",
    strict: bool = False,
    download_resources: bool = False,
    upload_dir: Optional[str] = None,
    local_files_root: Optional[str] = None,
    allow_roots: List[str] = ...,
    hostname: Optional[str] = None,
    token: Optional[str] = None,
    allow_hosts: List[str] = ...,
    downloads: int = 8,
    format_options: Mapping[str, str] = ...,
    progress: Optional[Callable[[str, Dict[str, Optional[int]]], Any]] = None,
    poll_interval: float = 0.05,
) -> Dict[str, Any]: ...
