package bot

import (
	"maps"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/goccy/go-yaml"
)

// readYAML reads a manifest as plain data, to compare two of them whole.
func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestWorkflowManifestIsTheDefaultPlusTheStep keeps manifest.workflows.yaml
// in step with manifest.yaml: take the step away (its function, the
// function_executed event, the remote runtime, org deploy) and what is left
// is the default manifest, scopes and events included.
func TestWorkflowManifestIsTheDefaultPlusTheStep(t *testing.T) {
	def := readYAML(t, "../manifest.yaml")
	wf := readYAML(t, "../manifest.workflows.yaml")

	settings, _ := wf["settings"].(map[string]any)
	if settings["function_runtime"] != "remote" || settings["org_deploy_enabled"] != true {
		t.Errorf("settings: function_runtime %v, org_deploy_enabled %v; want remote and true", settings["function_runtime"], settings["org_deploy_enabled"])
	}
	events, _ := settings["event_subscriptions"].(map[string]any)
	botEvents, _ := events["bot_events"].([]any)
	if !slices.Contains(botEvents, any("function_executed")) {
		t.Errorf("bot_events %v lack function_executed", botEvents)
	}

	// Take the step away.
	delete(wf, "functions")
	delete(settings, "function_runtime")
	settings["org_deploy_enabled"] = def["settings"].(map[string]any)["org_deploy_enabled"]
	events["bot_events"] = slices.DeleteFunc(botEvents, func(e any) bool { return e == "function_executed" })
	if !reflect.DeepEqual(wf, def) {
		t.Errorf("manifest.workflows.yaml without the step differs from manifest.yaml:\n%v\n%v", wf, def)
	}
}

// TestWorkflowManifestDeclaresTheStep checks the function's callback_id,
// inputs and outputs against the names the code reads and writes.
func TestWorkflowManifestDeclaresTheStep(t *testing.T) {
	var m struct {
		Functions map[string]struct {
			Title  string `yaml:"title"`
			Inputs map[string]struct {
				Type     string `yaml:"type"`
				Required bool   `yaml:"is_required"`
				Items    struct {
					Type string `yaml:"type"`
				} `yaml:"items"`
				Enum []string `yaml:"enum"`
			} `yaml:"input_parameters"`
			Outputs map[string]struct {
				Type string `yaml:"type"`
			} `yaml:"output_parameters"`
		} `yaml:"functions"`
	}
	data, err := os.ReadFile("../manifest.workflows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Functions) != 1 {
		t.Fatalf("functions %v; want only %s", m.Functions, stepCallbackID)
	}
	fn, ok := m.Functions[stepCallbackID]
	if !ok || fn.Title != "Add to call" {
		t.Fatalf("no function %s titled Add to call: %+v", stepCallbackID, m.Functions)
	}
	wantTypes := map[string]string{
		stepInPeople: "array", stepInNumbers: "string", stepInRole: "string", stepInBridge: "string",
		stepInNote: "string", stepInChannel: "slack#/types/channel_id", stepInRequestedBy: "slack#/types/user_id",
	}
	for name, typ := range wantTypes {
		if in, ok := fn.Inputs[name]; !ok || in.Type != typ {
			t.Errorf("input %s: %+v; want type %s", name, in, typ)
		}
	}
	if len(fn.Inputs) != len(wantTypes) {
		t.Errorf("inputs %v; the code reads %v", slices.Sorted(maps.Keys(fn.Inputs)), slices.Sorted(maps.Keys(wantTypes)))
	}
	if it := fn.Inputs[stepInPeople].Items.Type; it != "slack#/types/user_id" {
		t.Errorf("people items are %q; want user IDs", it)
	}
	if !slices.Equal(fn.Inputs[stepInRole].Enum, []string{"agent", "customer"}) {
		t.Errorf("role enum %v", fn.Inputs[stepInRole].Enum)
	}
	for name, in := range fn.Inputs {
		if in.Required != (name == stepInRequestedBy) {
			t.Errorf("input %s is_required %v; only requested_by is required", name, in.Required)
		}
	}
	// slack-go sends outputs as text, so every output is a string.
	outs := []string{stepOutDialled, stepOutAPIIDs, stepOutFailed, stepOutRequestID}
	for _, name := range outs {
		if out, ok := fn.Outputs[name]; !ok || out.Type != "string" {
			t.Errorf("output %s: %+v; want a string", name, out)
		}
	}
	if len(fn.Outputs) != len(outs) {
		t.Errorf("outputs %v; the code writes %v", slices.Sorted(maps.Keys(fn.Outputs)), outs)
	}
}
