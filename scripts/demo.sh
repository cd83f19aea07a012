#!/usr/bin/env bash
# The main job of the foundation: train the linear example plugin on a
# synthetic 3-class problem through the CLI, then predict, compute loss
# gradients and class gradients with the trained model, all through real
# plugin processes. Later issues replace this with `arthost eval`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${DEMO_DIR:-$(mktemp -d)}
export ARTHOST_PLUGIN_PATH=$PWD/bin
go run ./scripts/demodata "$out"
echo "== plugins found"
bin/arthost plugins
echo "== the estimator"
bin/arthost info --plugin linear --model "$out/init.json"
echo "== fit 30 epochs"
bin/arthost fit --plugin linear --model "$out/init.json" --input "$out/x.npy" --labels "$out/y.npy" \
	--epochs 30 --batch-size 32 --fit-opt lr=0.5 --save "$out/trained.json" 2>&1 | tail -3
echo "== predict, loss, gradients with the trained model"
bin/arthost predict --plugin linear --model "$out/trained.json" --input "$out/x.npy" --output "$out/p.npy"
bin/arthost loss --plugin linear --model "$out/trained.json" --input "$out/x.npy" --labels "$out/y.npy" --reduction mean --output "$out/loss.npy"
bin/arthost loss-gradient --plugin linear --model "$out/trained.json" --input "$out/x.npy" --labels "$out/y.npy" --output "$out/g.npy"
bin/arthost class-gradient --plugin linear --model "$out/trained.json" --input "$out/x.npy" --output "$out/cg.npy"
go run ./scripts/demodata -check "$out"
echo "outputs in $out"
