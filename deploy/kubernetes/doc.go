// Package kubernetes holds example Kubernetes manifests for mpc-bot (see
// README.md in this directory). It has no Go code of its own: its tests parse
// every manifest strictly with the k8s.io/api types and check the properties
// the deployment relies on.
package kubernetes
