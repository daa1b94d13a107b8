#!/bin/bash
# Written by `cs231n-cnn cluster-files`: submits the job array, then the merge, which starts only
# once every array task succeeded (afterok). Prints both job ids.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p @RESULTS@
array=$(sbatch --parsable "$@" "$here/grade-array.sbatch")
array="${array%%;*}"
merge=$(sbatch --parsable --dependency=afterok:"$array" "$here/merge.sbatch")
merge="${merge%%;*}"
echo "array job $array (@SHARDS@ shards), merge job $merge -> @RESULTS@/grades.csv"
