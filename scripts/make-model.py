#!/usr/bin/env python3
"""Writes ipw's default model: a tiny llama-architecture GGUF with seeded random F32 weights.

The model exists so that `ipw profile` runs on a real inference engine with no download. It is
written with gguf-py from the llama.cpp tree that scripts/build-llama.sh cloned (pass that
tree's gguf-py directory on PYTHONPATH; scripts/make-model.sh does this). Same arguments and seed
give a byte-identical file.

Vocabulary: SentencePiece-style ("llama" tokenizer model) with the 256 byte-fallback tokens, every
printable ASCII character, and a few hundred frequent English words with all their prefixes (the
llama.cpp SPM tokenizer only merges a pair when the joined piece is in the vocabulary, so each word
must be reachable one character at a time). The vocabulary is small (~1k) on purpose: the output
layer is then cheap enough to train on a 2-core CPU (scripts/make-model-train.sh).

End of generation is the newline byte: answers are one line, and llama.cpp's finetune example
trains on plain text, where a control token such as </s> cannot be written.
"""
import argparse
import sys

import numpy as np

try:
    import gguf
except ImportError:  # pragma: no cover - explained to the user
    sys.exit("make-model.py: gguf-py not importable; run scripts/make-model.sh (it sets PYTHONPATH)")

# Words whose pieces get their own tokens (question phrasing of arithmetic, multiple choice,
# short facts and chat). Order does not matter; the list is sorted before use.
WORDS = """
a about above after again all also am an and answer any are as at back be because been before
being below best between both but by can capital city come could country day did do does down
each even every example explain few find first following for from get give go good great has
have he her here his how if in into is it its just know large last least less like long made
make many may me more most much must my name new no not now number of off old on one only or
other our out over people planet please question right said same say see she should show so
some still such take tell than that the their them then there these they thing think this those
three through time to two under up us use used very want was water way we well were what when
where which while who why will with word work world would write year yes you your
plus minus times divided sum product difference equal equals result value total half twice
double square root percent zero five four six seven eight nine ten hundred thousand
correct option options choose letter true false called largest smallest color animal language
""".split()


def build_vocab():
    tokens = ["<unk>", "<s>", "</s>"]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    for b in range(256):
        tokens.append(f"<0x{b:02X}>")
        types.append(gguf.TokenType.BYTE)
    # Printable ASCII plus a few non-ASCII characters common in questions (×, °, ², dashes, quotes).
    pieces = ["\u2581"] + [chr(c) for c in range(0x21, 0x7F)] + list("×÷°²³±µπ–—‘’“”é")
    seen = set(pieces)
    for word in sorted(set(WORDS + [w.capitalize() for w in WORDS])):
        marked = "\u2581" + word
        for end in range(2, len(marked) + 1):
            piece = marked[:end]
            if piece not in seen:
                seen.add(piece)
                pieces.append(piece)
    for p in pieces:
        tokens.append(p)
        types.append(gguf.TokenType.NORMAL)
    # Longer pieces score higher so the tokenizer prefers whole words over characters.
    scores = [0.0] * len(tokens)
    for i, t in enumerate(tokens):
        if types[i] == gguf.TokenType.NORMAL:
            scores[i] = float(len(t)) - 1000.0
        elif types[i] == gguf.TokenType.BYTE:
            scores[i] = -2000.0
    return tokens, scores, types


# One user/assistant turn is "Q: <question>\nA: <answer>\n"; the generation prompt ends at "A:".
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ 'Q: ' + message['content'] + '\n' }}"
    "{% elif message['role'] == 'assistant' %}{{ 'A: ' + message['content'] + '\n' }}"
    "{% else %}{{ message['content'] + '\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'A:' }}{% endif %}"
)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20251107)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=384)
    ap.add_argument("--ctx", type=int, default=1024)
    ap.add_argument("--name", default="ipw-tiny")
    a = ap.parse_args()
    if a.dim % a.heads:
        sys.exit("make-model.py: --dim must be a multiple of --heads")

    tokens, scores, types = build_vocab()
    newline_id = tokens.index("<0x0A>")
    rng = np.random.default_rng(a.seed)

    def weight(rows, cols, std=0.02):
        return (rng.standard_normal((rows, cols)) * std).astype(np.float32)

    w = gguf.GGUFWriter(a.out, "llama")
    w.add_name(a.name)
    w.add_description("ipw's generated default model: tiny llama, random (or project-trained) weights")
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_context_length(a.ctx)
    w.add_embedding_length(a.dim)
    w.add_block_count(a.layers)
    w.add_feed_forward_length(a.ff)
    w.add_head_count(a.heads)
    w.add_head_count_kv(a.heads)
    w.add_rope_dimension_count(a.dim // a.heads)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(len(tokens))
    w.add_string("ipw.generator", f"scripts/make-model.py seed={a.seed}")

    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(newline_id)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(True)
    w.add_chat_template(CHAT_TEMPLATE)

    n_vocab = len(tokens)
    out_std = 0.02 / np.sqrt(2 * a.layers)  # residual projections, as in GPT-2's init
    w.add_tensor("token_embd.weight", weight(n_vocab, a.dim))
    for i in range(a.layers):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(a.dim, dtype=np.float32))
        w.add_tensor(p + "attn_q.weight", weight(a.dim, a.dim))
        w.add_tensor(p + "attn_k.weight", weight(a.dim, a.dim))
        w.add_tensor(p + "attn_v.weight", weight(a.dim, a.dim))
        w.add_tensor(p + "attn_output.weight", weight(a.dim, a.dim, out_std))
        w.add_tensor(p + "ffn_norm.weight", np.ones(a.dim, dtype=np.float32))
        w.add_tensor(p + "ffn_gate.weight", weight(a.ff, a.dim))
        w.add_tensor(p + "ffn_up.weight", weight(a.ff, a.dim))
        w.add_tensor(p + "ffn_down.weight", weight(a.dim, a.ff, out_std))
    w.add_tensor("output_norm.weight", np.ones(a.dim, dtype=np.float32))
    w.add_tensor("output.weight", weight(n_vocab, a.dim))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"make-model.py: wrote {a.out} ({n_vocab} tokens, dim {a.dim}, {a.layers} layers, seed {a.seed})")


if __name__ == "__main__":
    main()
