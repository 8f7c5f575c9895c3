package main

import "testing"

func TestPythonPackageVersionsBecomePluginVersions(t *testing.T) {
	for in, want := range map[string]string{
		"4.21.1":            "4.21.1",
		"1.0":               "1.0.0",
		"1.2.3a4":           "1.2.3-alpha.4",
		"1.2.3b4":           "1.2.3-beta.4",
		"1.2.3rc4":          "1.2.3-rc.4",
		"1.2.3.post4":       "1.2.3+post4",
		"1.2.3.dev5":        "1.2.3+dev5",
		"1.2.3.post4.dev5":  "1.2.3+post4dev5",
		"3.31.0a1605189729": "3.31.0-alpha.1605189729",
	} {
		got, err := pluginVersion(in)
		if err != nil || got != want {
			t.Errorf("pluginVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestUntranslatablePythonVersionsAreRefused(t *testing.T) {
	for _, in := range []string{"", "1!2.0", "1.2.3+local", "abc"} {
		if got, err := pluginVersion(in); err == nil {
			t.Errorf("pluginVersion(%q) = %q, want an error", in, got)
		}
	}
}

func TestPackagesWithoutAPluginJSONAreNamedAfterThePackage(t *testing.T) {
	dep, err := packageDependency(pythonPackage{Name: "pulumi-example", Version: "1.2", Location: t.TempDir()})
	if err != nil || dep == nil || dep.Name != "example" || dep.Version != "v1.2.0" || dep.Kind != "resource" {
		t.Fatalf("got %v, %v", dep, err)
	}
}

func TestThePolicySDKNeedsNoPlugin(t *testing.T) {
	dep, err := packageDependency(pythonPackage{Name: "pulumi_policy", Version: "1.21.0", Location: t.TempDir()})
	if err != nil || dep != nil {
		t.Fatalf("got %v, %v", dep, err)
	}
}
