"""A tiny random-weight llama GGUF that llama.cpp serves like a real model.

2 layers, embedding 64, an SPM vocabulary of about 400 tokens (the three specials, the
256 ``<0xXX>`` byte tokens, printable characters, a few words with every merge prefix)
and a ChatML-like chat template. It answers gibberish at thousands of tokens/s, with
real tokenization, usage counts, streaming and context errors.

The output weights are arranged so that generation never picks a byte token (invalid
UTF-8 makes llama-cpp-python overrun ``max_tokens``) nor an end token (answers run to
``max_tokens``, so counts are deterministic): dimension 0 of every embedding is a large
constant, the layers add little, and the output row of each forbidden token is negative
in that dimension while every other row is positive.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["CHAT_TEMPLATE", "N_EMBD", "vocabulary", "write_tiny_llama"]

N_EMBD = 64
N_LAYERS = 2
N_HEAD = 4
N_FF = 128
N_CTX_TRAIN = 4096

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_WORDS = (
    "the",
    "def",
    "return",
    "print",
    "and",
    "of",
    "to",
    "in",
    "is",
    "for",
    "hello",
    "world",
    "user",
    "assistant",
    "system",
    "code",
    "test",
    "value",
    "list",
    "data",
    "file",
    "error",
    "true",
    "false",
    "none",
    "import",
    "class",
    "self",
)
_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    ".,:;!?()[]{}'\"-_=+*/<>#%&@$|~`^\\"
)
# token types (llama.cpp): 1 normal, 2 unknown, 3 control, 6 byte
_NORMAL, _UNKNOWN, _CONTROL, _BYTE = 1, 2, 3, 6


def vocabulary() -> tuple[list[str], list[float], list[int]]:
    """Tokens, scores and types: specials, bytes, characters, words with their prefixes."""
    tokens = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    types = [_UNKNOWN, _CONTROL, _CONTROL, _CONTROL, _CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [_BYTE] * 256
    pieces: list[str] = ["\u2581", *list(_CHARS)]
    seen = set(pieces)
    for word in _WORDS:
        marked = "\u2581" + word
        for end in range(2, len(marked) + 1):
            prefix = marked[:end]
            if prefix not in seen:
                seen.add(prefix)
                pieces.append(prefix)
    tokens += pieces
    types += [_NORMAL] * len(pieces)
    # SPM merges higher scores first: longer pieces score higher.
    scores = [0.0] * (len(tokens) - len(pieces)) + [float(len(p)) - 20.0 for p in pieces]
    return tokens, scores, types


def _weights(n_vocab: int, forbidden: list[int], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)

    def rand(*shape: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    embd = rand(n_vocab, N_EMBD, scale=0.1)
    embd[:, 0] = 8.0
    output = rand(n_vocab, N_EMBD, scale=0.5)
    output[:, 0] = 2.0
    output[forbidden, :] = 0.0
    output[forbidden, 0] = -8.0
    tensors = {
        "token_embd.weight": embd,
        "output_norm.weight": np.ones(N_EMBD, dtype=np.float32),
        "output.weight": output,
    }
    for i in range(N_LAYERS):
        blk = f"blk.{i}"
        tensors |= {
            f"{blk}.attn_norm.weight": np.ones(N_EMBD, dtype=np.float32),
            f"{blk}.attn_q.weight": rand(N_EMBD, N_EMBD),
            f"{blk}.attn_k.weight": rand(N_EMBD, N_EMBD),
            f"{blk}.attn_v.weight": rand(N_EMBD, N_EMBD),
            f"{blk}.attn_output.weight": rand(N_EMBD, N_EMBD),
            f"{blk}.ffn_norm.weight": np.ones(N_EMBD, dtype=np.float32),
            f"{blk}.ffn_gate.weight": rand(N_FF, N_EMBD),
            f"{blk}.ffn_up.weight": rand(N_FF, N_EMBD),
            f"{blk}.ffn_down.weight": rand(N_EMBD, N_FF),
        }
    return tensors


def write_tiny_llama(path: Path, *, seed: int = 0) -> Path:
    """Write the model to ``path`` (well under a second) and return the path."""
    import gguf

    tokens, scores, types = vocabulary()
    forbidden = [i for i, t in enumerate(types) if t != _NORMAL]
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("escalator-tiny-test-llama")
    writer.add_context_length(N_CTX_TRAIN)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYERS)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(0)  # all F32
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)
    for name, tensor in _weights(len(tokens), forbidden, seed).items():
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
