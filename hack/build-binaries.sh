#!/usr/bin/env bash
# Builds the test-infrastructure binaries (Kubernetes control plane, etcd, kwok, DittoFS) from
# their Go modules into a cache directory keyed by every version involved, and prints that
# directory. Product code never uses Go; only tests, the demo and the benchmarks do.
#
# DITTOFS_TEST_ASSETS=<dir> skips the build and uses prebuilt binaries from <dir>.
#
# `build-binaries.sh --helm` instead builds (once) only helm, for rendering the chart in tests, into its own
# keyed directory (so adding it never invalidates the main cache), and prints the helm binary's path.
#
# `build-binaries.sh --crds` instead generates (once) the real CRDs of the optional APIs the operator writes, from
# their Go types with controller-gen, into their own keyed directory, and prints it: today the Prometheus
# Operator's ServiceMonitor (monitoring.coreos.com_servicemonitors.yaml). Percona's module is not served by the
# module proxy; its tests use a strict stand-in (test/integration/dittoserver/stand-ins.ts).
#
# `build-binaries.sh --versitygw` instead builds (once) only versitygw, the S3-compatible server (Apache-2.0) the
# S3 block-store tests run on loopback, into its own keyed directory, and prints the binary's path.
set -euo pipefail

K8S_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
DFS_VERSION=v0.29.0
HELM_VERSION=v3.20.2
PROMETHEUS_OPERATOR_VERSION=v0.95.2
CONTROLLER_TOOLS_VERSION=v0.23.0
VERSITYGW_VERSION=v1.8.0

cache_root="${DITTOFS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dittofs-operator}"

# One tool built from its Go module into its own keyed directory (adding one never invalidates the main cache), and
# its path printed. A consumer module with a tools.go, like DittoFS below: `go install pkg@version` would also ask
# for the module's version list. build_tool NAME MODULE VERSION PACKAGE GO_DIRECTIVE [EXTRA_LDFLAGS]
build_tool() {
  local name=$1 module=$2 version=$3 pkg=$4 go_directive=$5 ldflags="-s -w ${6:-}"
  if [[ -n "${DITTOFS_TEST_ASSETS:-}" && -x "$DITTOFS_TEST_ASSETS/$name" ]]; then
    echo "$DITTOFS_TEST_ASSETS/$name"
    return
  fi
  local bin="$cache_root/bin/$name-${version}_$(go env GOVERSION)"
  if [[ ! -x "$bin/$name" ]]; then
    local mod="$cache_root/modules/$name-$version"
    mkdir -p "$mod" "$bin"
    printf 'module local/%s-binary\n\ngo %s\n\nrequire %s %s\n' "$name" "$go_directive" "$module" "$version" > "$mod/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > "$mod/tools.go"
    printf '[build-binaries %s] building %s %s\n' "$(date +%T)" "$name" "$version" >&2
    (cd "$mod" && export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=mod" && go mod tidy >/dev/null \
      && go build -trimpath -ldflags "$ldflags" -o "$bin/$name.partial" "$pkg")
    mv "$bin/$name.partial" "$bin/$name"
  fi
  echo "$bin/$name"
}

if [[ "${1:-}" == "--helm" ]]; then
  build_tool helm helm.sh/helm/v3 "$HELM_VERSION" helm.sh/helm/v3/cmd/helm 1.24 "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  exit 0
fi

if [[ "${1:-}" == "--versitygw" ]]; then
  build_tool versitygw github.com/versity/versitygw "$VERSITYGW_VERSION" github.com/versity/versitygw/cmd/versitygw 1.25
  exit 0
fi

if [[ "${1:-}" == "--crds" ]]; then
  if [[ -n "${DITTOFS_TEST_ASSETS:-}" && -f "$DITTOFS_TEST_ASSETS/crds/monitoring.coreos.com_servicemonitors.yaml" ]]; then
    echo "$DITTOFS_TEST_ASSETS/crds"
    exit 0
  fi
  crds="$cache_root/crds/monitoring-${PROMETHEUS_OPERATOR_VERSION}_controller-tools-${CONTROLLER_TOOLS_VERSION}_$(go env GOVERSION)"
  if [[ ! -f "$crds/monitoring.coreos.com_servicemonitors.yaml" ]]; then
    crd_mod="$cache_root/modules/crds-monitoring-$PROMETHEUS_OPERATOR_VERSION"
    mkdir -p "$crd_mod"
    printf 'module local/optional-crds\n\ngo 1.25\n\nrequire (\n\tgithub.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring %s\n\tsigs.k8s.io/controller-tools %s\n)\n' \
      "$PROMETHEUS_OPERATOR_VERSION" "$CONTROLLER_TOOLS_VERSION" > "$crd_mod/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"\n\t_ "sigs.k8s.io/controller-tools/cmd/controller-gen"\n)\n' > "$crd_mod/tools.go"
    printf '[build-binaries %s] generating the ServiceMonitor CRD (prometheus-operator %s, controller-gen %s)\n' \
      "$(date +%T)" "$PROMETHEUS_OPERATOR_VERSION" "$CONTROLLER_TOOLS_VERSION" >&2
    # Generated next to the final directory, then moved: parallel callers never see half a file.
    partial=$(mktemp -d "$cache_root/crds.partial.XXXXXX")
    (cd "$crd_mod" && export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=mod" && go mod tidy >/dev/null \
      && go build -trimpath -ldflags "-s -w" -o "$partial/controller-gen" sigs.k8s.io/controller-tools/cmd/controller-gen \
      && "$partial/controller-gen" crd:crdVersions=v1 \
        paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1 output:crd:dir="$partial/out")
    mkdir -p "$(dirname "$crds")"
    mv "$partial/out/monitoring.coreos.com_servicemonitors.yaml" "$partial/monitoring.coreos.com_servicemonitors.yaml"
    rm -rf "$partial/out" "$partial/controller-gen"
    mv -T "$partial" "$crds" 2>/dev/null || rm -rf "$partial"   # another caller finished first: keep theirs
  fi
  echo "$crds"
  exit 0
fi

if [[ -n "${DITTOFS_TEST_ASSETS:-}" ]]; then
  echo "$DITTOFS_TEST_ASSETS"
  exit 0
fi

go_version=$(go env GOVERSION)
key="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_dfs-${DFS_VERSION}_${go_version}"
bin="$cache_root/bin/$key"
if [[ -f "$bin/.complete" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$bin" "$cache_root/modules"
log() { printf '[build-binaries %s] %s\n' "$(date +%T)" "$*" >&2; }
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
started=$SECONDS

# --- Kubernetes: a consumer module whose replace directives come from k8s.io/kubernetes' own go.mod.
k8s_mod="$cache_root/modules/k8s-$K8S_VERSION"
mkdir -p "$k8s_mod"
if [[ ! -x "$bin/kube-apiserver" || ! -x "$bin/kube-controller-manager" || ! -x "$bin/kube-scheduler" || ! -x "$bin/kubectl" ]]; then
  log "resolving k8s.io/kubernetes@$K8S_VERSION"
  upstream_mod=$(cd "$k8s_mod" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  staging_version="v0${K8S_VERSION#v1}"   # v1.36.3 -> v0.36.3
  {
    echo "module local/k8s-binaries"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\).*/\1/p' "$upstream_mod")"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    # Upstream points every staging module at ./staging/...; a consumer must name the published version.
    grep -oE '^[[:space:]]*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$upstream_mod" \
      | awk -v v="$staging_version" '{ print "replace " $1 " => " $1 " " v }'
  } > "$k8s_mod/go.mod"
  cat > "$k8s_mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$k8s_mod" && go mod tidy -e >/dev/null 2>&1 || true; go mod download >/dev/null)
  (cd "$k8s_mod" && GOFLAGS="$GOFLAGS -mod=mod" go list -tags tools -deps ./... >/dev/null 2>&1 || true)
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl"
  (cd "$k8s_mod" && GOFLAGS="$GOFLAGS -mod=mod" go build -trimpath -ldflags "$ldflags" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
fi

# --- etcd: a tiny main over etcdmain in its own module (keeps etcd's graph apart from Kubernetes').
if [[ ! -x "$bin/etcd" ]]; then
  etcd_mod="$cache_root/modules/etcd-$ETCD_VERSION"
  mkdir -p "$etcd_mod"
  cat > "$etcd_mod/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  printf 'module local/etcd\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > "$etcd_mod/go.mod"
  log "building etcd $ETCD_VERSION"
  (cd "$etcd_mod" && go mod tidy >/dev/null && go build -trimpath -ldflags "-s -w" -o "$bin/etcd" .)
fi

# --- kwok: a plain install of its published command.
if [[ ! -x "$bin/kwok" ]]; then
  log "building kwok $KWOK_VERSION"
  GOBIN="$bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
fi
# --- DittoFS: a consumer module, not `go install pkg@version`: that form also fetches the module's
# version list (for deprecation notices), which some module proxies refuse for this module.
if [[ ! -x "$bin/dfs" || ! -x "$bin/dfsctl" ]]; then
  dfs_mod="$cache_root/modules/dittofs-$DFS_VERSION"
  mkdir -p "$dfs_mod"
  printf 'module local/dittofs-binaries\n\ngo 1.25\n\nrequire github.com/marmos91/dittofs %s\n' "$DFS_VERSION" > "$dfs_mod/go.mod"
  cat > "$dfs_mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "github.com/marmos91/dittofs/cmd/dfs"
	_ "github.com/marmos91/dittofs/cmd/dfsctl"
)
GO
  log "building dfs and dfsctl $DFS_VERSION"
  # main.version without the leading v, as the project's own release builds stamp it.
  (cd "$dfs_mod" && go mod tidy >/dev/null && go build -trimpath -ldflags "-s -w -X main.version=${DFS_VERSION#v}" \
    -o "$bin/" github.com/marmos91/dittofs/cmd/dfs github.com/marmos91/dittofs/cmd/dfsctl)
fi

# kwok stage files ship inside its module; keep one concatenated copy beside the binaries.
kwok_src=$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize
if [[ ! -d "$kwok_src" ]]; then (cd "$k8s_mod" && go mod download "sigs.k8s.io/kwok@$KWOK_VERSION"); fi
{
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-delete.yaml pod/fast/pod-complete.yaml \
    volume/fast/pvc-provision.yaml volume/fast/pv-bind.yaml volume/fast/pvc-delete.yaml volume/fast/pv-delete.yaml; do
    echo "---"; cat "$kwok_src/stage/$f"
  done
} > "$bin/kwok-stages.yaml"
# cat, not cp: module cache files are read-only and the copy must stay rewritable.
cat "$kwok_src/stage/volume/fast/storage-class.yaml" > "$bin/kwok-storage-class.yaml"

log "done in $((SECONDS - started)) s"
touch "$bin/.complete"
echo "$bin"
