from tests.llama.fixtures import (  # noqa: F401  (pytest finds fixtures by import)
    llama_config,
    llama_server,
    llama_server_factory,
    tiny_gguf,
)
