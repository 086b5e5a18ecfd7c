#!/usr/bin/env bash
# Fetches llama.cpp's tokenizer test vocabularies (llama-spm, llama-bpe, qwen2, gpt-2, starcoder, refact, command-r,
# mpt, phi-3, falcon: the GGUF plus its .inp/.out cases)
# into models/vocab/ from the PyPI sdist llama_cpp_python==0.3.36, which vendors llama.cpp (commit 0c1e570) with
# its models/ folder. Checks the sdist's and every file's sha256. Idempotent: files that check out are left alone.
# Set BATON_LLAMACPP_SDIST to a local copy of the sdist tarball to skip the download.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.3.36
SDIST=llama_cpp_python-$VERSION.tar.gz
SDIST_SHA=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
INNER=llama_cpp_python-$VERSION/vendor/llama.cpp/models
DEST=models/vocab
# file name, sha256
FILES="
ggml-vocab-llama-spm.gguf 16c3724582d59aa8bf84711894e833f916ee46a31d80e21312759c48bf8d0e69
ggml-vocab-llama-spm.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
ggml-vocab-llama-spm.gguf.out ad6905c925c49c022974fe67e030382e8a4f56eb4489a0b9481dcedb1ec73b29
ggml-vocab-llama-bpe.gguf 97272e430d53bc7688f52d5e0ad8ea8f163ede9f1bbd1694feaa504797d5d96e
ggml-vocab-llama-bpe.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
ggml-vocab-llama-bpe.gguf.out 118abf2034a197fc5c9dec5204dfdeee7004c7c70952ae577f66b99e212fab9b
ggml-vocab-qwen2.gguf 44c2f46b715f585c6ab513970e8a006bfa5badd6108560054921cf598d154d8c
ggml-vocab-qwen2.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
ggml-vocab-qwen2.gguf.out de785bb305cc6fa9d43908ed5da337f853c0b79e971348fcfb9f0915a39c5363
ggml-vocab-gpt-2.gguf cedc56ca6e2e89f63e781696d1fd76b4b1d49e6720dee86463e915f6e90016ac
ggml-vocab-gpt-2.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
ggml-vocab-gpt-2.gguf.out 48e8c4cb3ad5c37915b225f872222567c1c4dd4d66951aa53460c8d152ff6d60
ggml-vocab-starcoder.gguf fedb892b4e1bd3c1f2fcdae356440b14fb458f4264d586e5c987ed93df4e174d
ggml-vocab-starcoder.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
ggml-vocab-starcoder.gguf.out 3ef12183c57ad076f9defd8e5eb454f509f5f0865cad35646abb4c4b2d2c5764
ggml-vocab-refact.gguf ac3ceda902fed91ccf74312b305d9b86c37e4f8e35fa9cc6ef3ce34fca7d4678
ggml-vocab-refact.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
ggml-vocab-refact.gguf.out c7e5c1c5dc1dfd3e0d56576bf699d2aca0b760b80779523ea9d323aad6cd1b88
ggml-vocab-command-r.gguf a2f8cfea952ef7c391a6d92a1c309d0bd32e36384d9b9230569a7425732f27d9
ggml-vocab-command-r.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
ggml-vocab-command-r.gguf.out d2a601336e422b60a264858c01b14c5d37575fe1f9adfcafc2f3b3707903903f
ggml-vocab-mpt.gguf 59dc382612866d1fc6c11ea531318d327598f3412d9c8f8600607cdf3030898f
ggml-vocab-mpt.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
ggml-vocab-mpt.gguf.out 9d0982a7e7950b81bc2e325fb61bb7e295d2238934ab889737494de2dc4d906b
ggml-vocab-phi-3.gguf 967d7190d11c4842eab697079d98d56c2116e10eb617be355a2733bfc132e326
ggml-vocab-phi-3.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
ggml-vocab-phi-3.gguf.out ad6905c925c49c022974fe67e030382e8a4f56eb4489a0b9481dcedb1ec73b29
ggml-vocab-falcon.gguf 9f0bf8b0733680398b72e652e90f260f43782f326e75545fc0e49611a5ba35ad
ggml-vocab-falcon.gguf.inp be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0
ggml-vocab-falcon.gguf.out f8c80a0483582ef195c2129b69bb2e4e421b0f31ed7b35d84b63511d7ebae7cd
"

file_ok() { [ -f "$DEST/$1" ] && echo "$2  $DEST/$1" | sha256sum -c --quiet >/dev/null 2>&1; }

missing=""
while read -r name sha; do
  [ -n "$name" ] || continue
  file_ok "$name" "$sha" || missing="$missing $name"
done <<<"$FILES"
if [ -z "$missing" ]; then echo "vocab ok: $DEST"; exit 0; fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sdist=${BATON_LLAMACPP_SDIST:-}
if [ -n "$sdist" ]; then
  [ -f "$sdist" ] || { echo "error: BATON_LLAMACPP_SDIST=$sdist does not exist; unset it to download from PyPI" >&2; exit 1; }
else
  echo "downloading the sdist llama_cpp_python==$VERSION from PyPI (about 75 MB)..."
  # --no-binary for this package only: with :all:, pip would also build the sdist's build backend's own
  # dependencies (cmake, ninja) from source on a machine without cmake, which takes many minutes.
  if ! python3 -m pip download -q --no-deps --no-binary=llama_cpp_python "llama_cpp_python==$VERSION" -d "$tmp"; then
    echo "error: 'pip download llama_cpp_python==$VERSION' failed: check that PyPI is reachable and pip is installed," \
      "or point BATON_LLAMACPP_SDIST at a copy of $SDIST" >&2
    exit 1
  fi
  sdist="$tmp/$SDIST"
  [ -f "$sdist" ] || { echo "error: pip gave no $SDIST in $tmp (got: $(ls "$tmp"))" >&2; exit 1; }
fi
if ! echo "$SDIST_SHA  $sdist" | sha256sum -c --quiet >/dev/null 2>&1; then
  echo "error: $sdist does not match sha256 $SDIST_SHA (got $(sha256sum "$sdist" | cut -d' ' -f1)):" \
    "it is not the published $SDIST; delete it or unset BATON_LLAMACPP_SDIST" >&2
  exit 1
fi

mkdir -p "$DEST"
members=$(for name in $missing; do echo "$INNER/$name"; done)
# shellcheck disable=SC2086
if ! tar -xzf "$sdist" -C "$tmp" $members; then
  echo "error: $sdist lacks some of:$missing" >&2; exit 1
fi
for name in $missing; do
  mv "$tmp/$INNER/$name" "$DEST/$name"
done

bad=""
while read -r name sha; do
  [ -n "$name" ] || continue
  file_ok "$name" "$sha" || bad="$bad $name"
done <<<"$FILES"
if [ -n "$bad" ]; then
  echo "error: after extraction these files in $DEST do not match their pinned sha256:$bad; delete them and run again" >&2
  exit 1
fi
echo "vocab ok: $DEST"
