package kubernetes_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/mpc-bot/mpc-bot/address"
	"github.com/mpc-bot/mpc-bot/config"
	"github.com/mpc-bot/mpc-bot/directory"
)

// knownEnv is every environment variable mpc-bot reads, from package
// config itself. A name the manifests set that is not here is a typo.
var knownEnv = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range config.Names() {
		m[n] = true
	}
	return m
}()

// secretEnv must come from a Secret, never a ConfigMap or a literal value.
var secretEnv = []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN", "MPC_DATABASE_URL"}

// requiredEnv must be set for mpc-bot to start (MPC_DATABASE_URL too, with
// more than one replica: checked separately).
var requiredEnv = []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN", "PHLO_ID", "PHLO_NODE_ID"}

const (
	appName        = "mpc-bot"
	nameLabel      = "app.kubernetes.io/name"
	drainSeconds   = 25     // how long mpc-bot lets adds in flight finish after SIGTERM
	nonrootID      = 65532  // distroless "nonroot" (Dockerfile)
	portName       = "http" // the containerPort serving MPC_HTTP_ADDR
	maxSocketConns = 10     // Slack's limit on an app's open Socket Mode connections
)

// kustomization is the part of kustomize's Kustomization these manifests
// use; anything else in kustomization.yaml fails the strict decode.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}

// manifests is everything in the directory, by kind.
type manifests struct {
	deployments    []*appsv1.Deployment
	pdbs           []*policyv1.PodDisruptionBudget
	configMaps     map[string]*corev1.ConfigMap
	secrets        map[string]*corev1.Secret
	kustomizations []*kustomization
	files          []string // every *.yaml file, base names, sorted
}

func load(t *testing.T) *manifests {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no *.yaml files in the directory")
	}
	sort.Strings(files)
	m := &manifests{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}, files: files}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocuments(data) {
			obj, err := decode(doc)
			if err != nil {
				t.Fatalf("%s, document %d: %v", f, i+1, err)
			}
			switch o := obj.(type) {
			case nil: // empty or comments only
			case *appsv1.Deployment:
				m.deployments = append(m.deployments, o)
			case *policyv1.PodDisruptionBudget:
				m.pdbs = append(m.pdbs, o)
			case *corev1.ConfigMap:
				if m.configMaps[o.Name] != nil {
					t.Fatalf("%s: ConfigMap %q defined twice", f, o.Name)
				}
				m.configMaps[o.Name] = o
			case *corev1.Secret:
				if m.secrets[o.Name] != nil {
					t.Fatalf("%s: Secret %q defined twice", f, o.Name)
				}
				m.secrets[o.Name] = o
			case *kustomization:
				if f != "kustomization.yaml" {
					t.Fatalf("%s: a Kustomization belongs in kustomization.yaml", f)
				}
				m.kustomizations = append(m.kustomizations, o)
			default:
				t.Fatalf("%s, document %d: unhandled %T", f, i+1, obj)
			}
		}
	}
	if len(m.deployments) != 1 || len(m.pdbs) != 1 || len(m.kustomizations) != 1 {
		t.Fatalf("want exactly one Deployment, PodDisruptionBudget and Kustomization; have %d, %d, %d",
			len(m.deployments), len(m.pdbs), len(m.kustomizations))
	}
	return m
}

// splitDocuments splits a YAML stream at its "---" lines.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur []byte
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		l := bytes.TrimRight(line, " \t\r\n")
		if bytes.Equal(l, []byte("---")) || bytes.HasPrefix(l, []byte("--- ")) {
			docs = append(docs, cur)
			cur = nil
			continue
		}
		cur = append(cur, line...)
	}
	return append(docs, cur)
}

// decode strictly decodes one YAML document into the k8s.io/api type its
// apiVersion and kind name; nil for an empty document.
func decode(doc []byte) (any, error) {
	j, err := yaml.YAMLToJSONStrict(doc) // rejects duplicate keys
	if err != nil {
		return nil, err
	}
	if string(bytes.TrimSpace(j)) == "null" {
		return nil, nil
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(j, &head); err != nil {
		return nil, fmt.Errorf("not an object: %w", err)
	}
	var obj any
	switch head.APIVersion + " " + head.Kind {
	case "apps/v1 Deployment":
		obj = new(appsv1.Deployment)
	case "policy/v1 PodDisruptionBudget":
		obj = new(policyv1.PodDisruptionBudget)
	case "v1 ConfigMap":
		obj = new(corev1.ConfigMap)
	case "v1 Secret":
		obj = new(corev1.Secret)
	case "kustomize.config.k8s.io/v1beta1 Kustomization":
		obj = new(kustomization)
	default:
		return nil, fmt.Errorf("unknown apiVersion %q kind %q", head.APIVersion, head.Kind)
	}
	// Unknown fields and wrong types fail (an unquoted true in a ConfigMap's
	// data, as the API server would refuse it)...
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return nil, fmt.Errorf("%s: %w", head.Kind, err)
	}
	// ...and so do field names in the wrong case, which encoding/json accepts
	// but the API server does not.
	var generic any
	if err := json.Unmarshal(j, &generic); err != nil {
		return nil, err
	}
	if err := checkFieldNames(generic, reflect.TypeOf(obj), head.Kind); err != nil {
		return nil, err
	}
	return obj, nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// checkFieldNames walks v alongside t and fails on any object key that is not
// exactly (case-sensitively) a JSON field name of the corresponding struct.
func checkFieldNames(v any, t reflect.Type, at string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil // Quantity, IntOrString, Time...: their own format
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil // the typed decode has already judged it
		}
		fields := jsonFields(t)
		for k, fv := range obj {
			ft, ok := fields[k]
			if !ok {
				return fmt.Errorf("%s: unknown field %q (field names are case-sensitive)", at, k)
			}
			if err := checkFieldNames(fv, ft, at+"."+k); err != nil {
				return err
			}
		}
	case reflect.Map:
		obj, _ := v.(map[string]any)
		for k, fv := range obj {
			if err := checkFieldNames(fv, t.Elem(), at+"["+k+"]"); err != nil {
				return err
			}
		}
	case reflect.Slice:
		arr, _ := v.([]any)
		for i, ev := range arr {
			if err := checkFieldNames(ev, t.Elem(), at+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields maps the JSON names of t's fields to their types, with embedded
// (",inline") structs' fields promoted as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			for k, v := range jsonFields(ft) {
				if _, dup := fields[k]; !dup {
					fields[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

// TestStrictDecoding shows decode catches the mistakes it is there for.
func TestStrictDecoding(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"misspelt field", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndatta: {A: b}\n"},
		{"field in wrong case", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {Replicas: 3}\n"},
		{"nested field in wrong case", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: a, readonlyRootFilesystem: true}]}}}\n"},
		{"misspelt nested field", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: a, securityContext: {runAsNonRooot: true}}]}}}\n"},
		{"unquoted bool in ConfigMap data", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {MPC_SHOW_NUMBERS: false}\n"},
		{"duplicate key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {A: b}\ndata: {A: c}\n"},
		{"unknown kind", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"},
		{"wrong apiVersion", "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: x}\n"},
		{"unknown Kustomization field", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresource: [a.yaml]\n"},
	} {
		if _, err := decode([]byte(tc.doc)); err == nil {
			t.Errorf("%s: decoded without error", tc.name)
		}
	}
	if obj, err := decode([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {A: \"b\"}\n")); err != nil || obj.(*corev1.ConfigMap).Data["A"] != "b" {
		t.Errorf("a good ConfigMap: %v, %v", obj, err)
	}
	if got := len(splitDocuments([]byte("a: 1\n---\nb: 2\n--- # c\nc: 3\n"))); got != 3 {
		t.Errorf("splitDocuments: %d documents, want 3", got)
	}
}

// pod returns the Deployment, its pod spec and its one container.
func (m *manifests) pod(t *testing.T) (*appsv1.Deployment, *corev1.PodSpec, *corev1.Container) {
	t.Helper()
	d := m.deployments[0]
	ps := &d.Spec.Template.Spec
	if len(ps.Containers) != 1 {
		t.Fatalf("want one container, have %d", len(ps.Containers))
	}
	return d, ps, &ps.Containers[0]
}

// selects fails the test unless matchLabels selects labels; matchExpressions are
// not used here, so they count as a failure.
func selects(t *testing.T, what string, sel map[string]string, exprs int, labels map[string]string) {
	t.Helper()
	if len(sel) == 0 || exprs != 0 {
		t.Errorf("%s: want a non-empty matchLabels and no matchExpressions", what)
		return
	}
	for k, v := range sel {
		if labels[k] != v {
			t.Errorf("%s: selects %s=%s, pod template has %q", what, k, v, labels[k])
		}
	}
}

func TestObjectsAreNamespaceLessAndLabelled(t *testing.T) {
	m := load(t)
	check := func(kind, name, ns string, labels map[string]string) {
		if ns != "" {
			t.Errorf("%s %s: sets namespace %q; leave it to kubectl -n", kind, name, ns)
		}
		if labels[nameLabel] != appName {
			t.Errorf("%s %s: want label %s: %s", kind, name, nameLabel, appName)
		}
	}
	for _, d := range m.deployments {
		check("Deployment", d.Name, d.Namespace, d.Labels)
	}
	for _, p := range m.pdbs {
		check("PodDisruptionBudget", p.Name, p.Namespace, p.Labels)
	}
	for _, c := range m.configMaps {
		check("ConfigMap", c.Name, c.Namespace, c.Labels)
	}
	for _, s := range m.secrets {
		check("Secret", s.Name, s.Namespace, s.Labels)
	}
}

func TestSelectorsAndReplicas(t *testing.T) {
	m := load(t)
	d, ps, _ := m.pod(t)
	pod := d.Spec.Template.Labels
	if pod[nameLabel] != appName {
		t.Errorf("pod template: want label %s: %s", nameLabel, appName)
	}
	if d.Spec.Selector == nil {
		t.Fatal("Deployment has no selector")
	}
	selects(t, "Deployment selector", d.Spec.Selector.MatchLabels, len(d.Spec.Selector.MatchExpressions), pod)

	pdb := m.pdbs[0]
	if pdb.Spec.Selector == nil {
		t.Fatal("PodDisruptionBudget has no selector")
	}
	selects(t, "PodDisruptionBudget selector", pdb.Spec.Selector.MatchLabels, len(pdb.Spec.Selector.MatchExpressions), pod)

	if d.Spec.Replicas == nil {
		t.Fatal("Deployment: replicas not set")
	}
	replicas := int(*d.Spec.Replicas)
	if replicas < 2 || replicas > maxSocketConns {
		t.Errorf("replicas = %d, want 2..%d (Slack allows %d Socket Mode connections per app)", replicas, maxSocketConns, maxSocketConns)
	}

	switch {
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MaxUnavailable != nil:
		t.Error("PodDisruptionBudget: set minAvailable or maxUnavailable, not both")
	case pdb.Spec.MinAvailable != nil:
		if v := pdb.Spec.MinAvailable.String(); v != "1" {
			t.Errorf("PodDisruptionBudget minAvailable = %s, want 1", v)
		}
	case pdb.Spec.MaxUnavailable != nil:
		if v := pdb.Spec.MaxUnavailable.String(); v != "1" {
			t.Errorf("PodDisruptionBudget maxUnavailable = %s, want 1", v)
		}
	default:
		t.Error("PodDisruptionBudget: neither minAvailable nor maxUnavailable")
	}

	s := d.Spec.Strategy
	if s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil ||
		s.RollingUpdate.MaxUnavailable == nil || s.RollingUpdate.MaxSurge == nil {
		t.Fatal("Deployment: want a RollingUpdate strategy with maxUnavailable and maxSurge")
	}
	if v := s.RollingUpdate.MaxUnavailable.String(); v != "0" {
		t.Errorf("rollingUpdate.maxUnavailable = %s, want 0", v)
	}
	if v := s.RollingUpdate.MaxSurge.String(); v != "1" {
		t.Errorf("rollingUpdate.maxSurge = %s, want 1", v)
	} else if replicas+1 > maxSocketConns {
		t.Errorf("replicas + maxSurge = %d, over Slack's %d Socket Mode connections", replicas+1, maxSocketConns)
	}

	// Replicas spread across nodes.
	spread := false
	for i, c := range ps.TopologySpreadConstraints {
		if c.LabelSelector == nil {
			t.Errorf("topologySpreadConstraints[%d]: no labelSelector", i)
			continue
		}
		selects(t, fmt.Sprintf("topologySpreadConstraints[%d]", i), c.LabelSelector.MatchLabels, len(c.LabelSelector.MatchExpressions), pod)
		spread = spread || c.TopologyKey == "kubernetes.io/hostname"
	}
	if a := ps.Affinity; a != nil && a.PodAntiAffinity != nil {
		for _, w := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			if w.PodAffinityTerm.LabelSelector != nil && w.PodAffinityTerm.TopologyKey == "kubernetes.io/hostname" {
				selects(t, "podAntiAffinity", w.PodAffinityTerm.LabelSelector.MatchLabels, len(w.PodAffinityTerm.LabelSelector.MatchExpressions), pod)
				spread = true
			}
		}
	}
	if !spread {
		t.Error("no topologySpreadConstraint or podAntiAffinity on kubernetes.io/hostname: replicas may share a node")
	}
}

// envSource is where a variable the container sees comes from.
type envSource struct {
	from   string // "Secret x", "ConfigMap x" or "env"
	secret bool
	value  string // ConfigMap and literal values only
}

// containerEnv resolves every env and envFrom entry against the objects in
// the directory and returns what the container sees.
func containerEnv(t *testing.T, m *manifests, c *corev1.Container) map[string]envSource {
	t.Helper()
	env := map[string]envSource{}
	set := func(name string, src envSource) {
		if prev, dup := env[name]; dup {
			t.Errorf("%s is set by both %s and %s", name, prev.from, src.from)
		}
		env[name] = src
	}
	for i, ef := range c.EnvFrom {
		if ef.Prefix != "" {
			t.Errorf("envFrom[%d]: prefix %q would rename the settings", i, ef.Prefix)
		}
		switch {
		case ef.SecretRef != nil:
			if ef.SecretRef.Optional != nil && *ef.SecretRef.Optional {
				t.Errorf("envFrom[%d]: Secret %q is optional; without it mpc-bot cannot start", i, ef.SecretRef.Name)
			}
			s := m.secrets[ef.SecretRef.Name]
			if s == nil {
				t.Errorf("envFrom[%d]: Secret %q is not defined in the directory", i, ef.SecretRef.Name)
				continue
			}
			for _, k := range secretKeys(s) {
				set(k, envSource{from: "Secret " + s.Name, secret: true})
			}
		case ef.ConfigMapRef != nil:
			cm := m.configMaps[ef.ConfigMapRef.Name]
			if cm == nil {
				t.Errorf("envFrom[%d]: ConfigMap %q is not defined in the directory", i, ef.ConfigMapRef.Name)
				continue
			}
			if len(cm.BinaryData) > 0 {
				t.Errorf("ConfigMap %s: binaryData is not loaded by envFrom", cm.Name)
			}
			for k, v := range cm.Data {
				set(k, envSource{from: "ConfigMap " + cm.Name, value: v})
			}
		default:
			t.Errorf("envFrom[%d]: neither secretRef nor configMapRef", i)
		}
	}
	for _, e := range c.Env {
		src := envSource{from: "env", value: e.Value}
		if vf := e.ValueFrom; vf != nil {
			switch {
			case vf.SecretKeyRef != nil:
				s := m.secrets[vf.SecretKeyRef.Name]
				if s == nil || !slices.Contains(secretKeys(s), vf.SecretKeyRef.Key) {
					t.Errorf("env %s: Secret %q key %q is not defined in the directory", e.Name, vf.SecretKeyRef.Name, vf.SecretKeyRef.Key)
				}
				src = envSource{from: "Secret " + vf.SecretKeyRef.Name, secret: true}
			case vf.ConfigMapKeyRef != nil:
				cm := m.configMaps[vf.ConfigMapKeyRef.Name]
				if cm == nil {
					t.Errorf("env %s: ConfigMap %q is not defined in the directory", e.Name, vf.ConfigMapKeyRef.Name)
				} else if v, ok := cm.Data[vf.ConfigMapKeyRef.Key]; !ok {
					t.Errorf("env %s: ConfigMap %q has no key %q", e.Name, cm.Name, vf.ConfigMapKeyRef.Key)
				} else {
					src.value = v
				}
				src.from = "ConfigMap " + vf.ConfigMapKeyRef.Name
			default:
				t.Errorf("env %s: unsupported valueFrom", e.Name)
			}
		}
		set(e.Name, src)
	}
	return env
}

func secretKeys(s *corev1.Secret) []string {
	var keys []string
	for k := range s.StringData {
		keys = append(keys, k)
	}
	for k := range s.Data {
		if _, dup := s.StringData[k]; !dup {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func TestEnvironment(t *testing.T) {
	m := load(t)
	d, _, c := m.pod(t)
	env := containerEnv(t, m, c)

	// Every name is one mpc-bot reads: in the container, in every ConfigMap
	// loaded as environment and in every Secret.
	for name, src := range env {
		if !knownEnv[name] {
			t.Errorf("%s (from %s) is not an mpc-bot setting (README.md, \"Settings\"): a typo?", name, src.from)
		}
	}
	for _, s := range m.secrets {
		for _, k := range secretKeys(s) {
			if !knownEnv[k] {
				t.Errorf("Secret %s: %s is not an mpc-bot setting: a typo?", s.Name, k)
			}
		}
	}
	_, ps, _ := m.pod(t)
	mounted := map[string]bool{}
	for _, v := range ps.Volumes {
		if v.ConfigMap != nil {
			mounted[v.ConfigMap.Name] = true
		}
	}
	for _, cm := range m.configMaps {
		if mounted[cm.Name] {
			continue // files, not environment
		}
		for k := range cm.Data {
			if !knownEnv[k] {
				t.Errorf("ConfigMap %s: %s is not an mpc-bot setting: a typo?", cm.Name, k)
			}
		}
	}

	for _, name := range requiredEnv {
		if _, ok := env[name]; !ok {
			t.Errorf("required setting %s is not set", name)
		}
	}
	if *d.Spec.Replicas > 1 {
		if _, ok := env["MPC_DATABASE_URL"]; !ok {
			t.Errorf("%d replicas but no MPC_DATABASE_URL: they would not share state", *d.Spec.Replicas)
		}
	}
	for _, name := range secretEnv {
		if src, ok := env[name]; ok && !src.secret {
			t.Errorf("%s comes from %s; secrets belong in a Secret", name, src.from)
		}
	}

	// The example Secret holds placeholders only.
	for _, s := range m.secrets {
		for k, v := range s.StringData {
			if !strings.Contains(v, "REPLACE-ME") {
				t.Errorf("Secret %s: %s = %q is not an obvious placeholder (want REPLACE-ME in it)", s.Name, k, v)
			}
		}
		if len(s.Data) > 0 {
			t.Errorf("Secret %s: use stringData placeholders, not data", s.Name)
		}
	}
	// Values mpc-bot would refuse at start-up.
	if src, ok := env["MPC_LOG_LEVEL"]; ok {
		var l slog.Level
		if err := l.UnmarshalText([]byte(src.value)); err != nil {
			t.Errorf("MPC_LOG_LEVEL = %q: %v", src.value, err)
		}
	}
	if src, ok := env["MPC_DEFAULT_REGION"]; ok && !address.ValidRegion(src.value) {
		t.Errorf("MPC_DEFAULT_REGION = %q is not a region code", src.value)
	}
	if src, ok := env["MPC_SHOW_NUMBERS"]; ok {
		if _, err := strconv.ParseBool(src.value); err != nil {
			t.Errorf("MPC_SHOW_NUMBERS = %q is not a boolean", src.value)
		}
	}
}

func TestDirectoryMount(t *testing.T) {
	m := load(t)
	_, ps, c := m.pod(t)
	env := containerEnv(t, m, c)

	volumes := map[string]corev1.Volume{}
	for _, v := range ps.Volumes {
		volumes[v.Name] = v
		if v.ConfigMap != nil {
			cm := m.configMaps[v.ConfigMap.Name]
			if cm == nil {
				t.Errorf("volume %s: ConfigMap %q is not defined in the directory", v.Name, v.ConfigMap.Name)
				continue
			}
			for _, it := range v.ConfigMap.Items {
				if _, ok := cm.Data[it.Key]; !ok {
					t.Errorf("volume %s: ConfigMap %s has no key %q", v.Name, cm.Name, it.Key)
				}
			}
		}
		if v.Secret != nil && m.secrets[v.Secret.SecretName] == nil {
			t.Errorf("volume %s: Secret %q is not defined in the directory", v.Name, v.Secret.SecretName)
		}
	}
	for _, vm := range c.VolumeMounts {
		if _, ok := volumes[vm.Name]; !ok {
			t.Errorf("volumeMount %s: no such volume", vm.Name)
		}
	}

	// MPC_DIRECTORY names a file in a read-only ConfigMap mount, and that
	// file is one mpc-bot accepts.
	dir, ok := env["MPC_DIRECTORY"]
	if !ok {
		t.Fatal("MPC_DIRECTORY is not set")
	}
	var content *string
	for _, vm := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(dir.value, strings.TrimSuffix(vm.MountPath, "/")+"/")
		v := volumes[vm.Name]
		if !ok || v.ConfigMap == nil || m.configMaps[v.ConfigMap.Name] == nil {
			continue
		}
		if !vm.ReadOnly {
			t.Errorf("volumeMount %s at %s: want readOnly", vm.Name, vm.MountPath)
		}
		if vm.SubPath != "" {
			t.Errorf("volumeMount %s: subPath mounts never see ConfigMap updates", vm.Name)
		}
		key := rel
		if len(v.ConfigMap.Items) > 0 {
			key = ""
			for _, it := range v.ConfigMap.Items {
				if path.Clean(it.Path) == rel {
					key = it.Key
				}
			}
		}
		if s, ok := m.configMaps[v.ConfigMap.Name].Data[key]; ok {
			content = &s
		}
	}
	if content == nil {
		t.Fatalf("MPC_DIRECTORY = %q is not a key of a ConfigMap mounted from the directory", dir.value)
	}
	region := "US"
	if r, ok := env["MPC_DEFAULT_REGION"]; ok {
		region = r.value
	}
	if _, err := directory.Parse([]byte(*content), region); err != nil {
		t.Errorf("the directory file in the ConfigMap: %v", err)
	}
}

func TestPortsProbesAndMetrics(t *testing.T) {
	m := load(t)
	d, _, c := m.pod(t)
	env := containerEnv(t, m, c)

	var port int32
	for _, p := range c.Ports {
		if p.Name == portName {
			port = p.ContainerPort
		}
	}
	if port == 0 {
		t.Fatalf("no containerPort named %q", portName)
	}
	addr := ":8080" // mpc-bot's default MPC_HTTP_ADDR
	if a, ok := env["MPC_HTTP_ADDR"]; ok {
		addr = a.value
	}
	if _, p, err := net.SplitHostPort(addr); err != nil || p != strconv.Itoa(int(port)) {
		t.Errorf("MPC_HTTP_ADDR = %q does not listen on containerPort %s (%d)", addr, portName, port)
	}

	for _, pr := range []struct {
		name, path string
		probe      *corev1.Probe
	}{
		{"startupProbe", "/healthz", c.StartupProbe},
		{"livenessProbe", "/healthz", c.LivenessProbe},
		{"readinessProbe", "/readyz", c.ReadinessProbe},
	} {
		if pr.probe == nil || pr.probe.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe on %s", pr.name, pr.path)
			continue
		}
		if got := pr.probe.HTTPGet.Path; got != pr.path {
			t.Errorf("%s: path %q, want %q", pr.name, got, pr.path)
		}
		if got := pr.probe.HTTPGet.Port.String(); got != portName {
			t.Errorf("%s: port %q, want the named port %q", pr.name, got, portName)
		}
	}

	a := d.Spec.Template.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" || a["prometheus.io/port"] != strconv.Itoa(int(port)) {
		t.Errorf("pod annotations: want prometheus.io/scrape \"true\", path /metrics, port %d; have %v", port, a)
	}
}

func TestPodSecurityAndResources(t *testing.T) {
	m := load(t)
	_, ps, c := m.pod(t)

	if g := ps.TerminationGracePeriodSeconds; g == nil || *g <= drainSeconds {
		t.Errorf("terminationGracePeriodSeconds must exceed mpc-bot's %d s drain", drainSeconds)
	}
	if a := ps.AutomountServiceAccountToken; a == nil || *a {
		t.Error("automountServiceAccountToken: want false")
	}
	if ps.HostNetwork || ps.HostPID || ps.HostIPC {
		t.Error("pod shares a host namespace")
	}

	psc := ps.SecurityContext
	if psc == nil {
		t.Fatal("pod securityContext not set")
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("pod securityContext.runAsNonRoot: want true")
	}
	if psc.RunAsUser == nil || *psc.RunAsUser != nonrootID || psc.RunAsGroup == nil || *psc.RunAsGroup != nonrootID {
		t.Errorf("pod securityContext: want runAsUser and runAsGroup %d", nonrootID)
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("pod securityContext.seccompProfile: want RuntimeDefault")
	}

	csc := c.SecurityContext
	if csc == nil {
		t.Fatal("container securityContext not set")
	}
	if csc.RunAsNonRoot == nil || !*csc.RunAsNonRoot {
		t.Error("container securityContext.runAsNonRoot: want true")
	}
	if csc.RunAsUser != nil && *csc.RunAsUser != nonrootID {
		t.Errorf("container securityContext.runAsUser: want %d", nonrootID)
	}
	if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
		t.Error("container securityContext.readOnlyRootFilesystem: want true")
	}
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
		t.Error("container securityContext.allowPrivilegeEscalation: want false")
	}
	if csc.Privileged != nil && *csc.Privileged {
		t.Error("container is privileged")
	}
	if csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") || len(csc.Capabilities.Add) > 0 {
		t.Error("container securityContext.capabilities: want drop [ALL] and nothing added")
	}
	if sp := csc.SeccompProfile; sp != nil && sp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("container securityContext.seccompProfile: want RuntimeDefault")
	}

	if !strings.HasPrefix(c.Image, "ghcr.io/mpc-bot/mpc-bot") {
		t.Errorf("image %q", c.Image)
	}

	r := c.Resources
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		q, ok := r.Requests[name]
		if !ok || q.Sign() <= 0 {
			t.Errorf("resources.requests.%s: want it set", name)
		}
	}
	if lim, ok := r.Limits[corev1.ResourceMemory]; !ok || lim.Sign() <= 0 {
		t.Error("resources.limits.memory: want it set")
	} else if req := r.Requests[corev1.ResourceMemory]; req.Cmp(lim) > 0 {
		t.Errorf("memory request %s exceeds its limit %s", req.String(), lim.String())
	}
}

func TestKustomization(t *testing.T) {
	m := load(t)
	k := m.kustomizations[0]
	seen := map[string]bool{}
	for _, r := range k.Resources {
		if seen[r] {
			t.Errorf("kustomization lists %s twice", r)
		}
		seen[r] = true
		if r != filepath.Base(r) {
			t.Errorf("kustomization resource %q: want a file in this directory", r)
			continue
		}
		if _, err := os.Stat(r); err != nil {
			t.Errorf("kustomization resource %s: %v", r, err)
		}
		if strings.Contains(r, ".example.") {
			t.Errorf("kustomization lists %s: examples (placeholder secrets) must not be applied", r)
		}
	}
	// Nothing forgotten: every manifest but the examples is applied.
	for _, f := range m.files {
		if f != "kustomization.yaml" && !strings.Contains(f, ".example.") && !seen[f] {
			t.Errorf("%s is not in kustomization.yaml", f)
		}
	}
	if len(k.Resources) == 0 {
		t.Error("kustomization lists no resources")
	}
}
