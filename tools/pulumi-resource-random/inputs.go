package main

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// inputKeys are the inputs of both resources, by their Pulumi (camelCase) names as pulumi-random maps
// terraform's attributes (min_upper -> minUpper, override_special -> overrideSpecial, ...).
var inputKeys = []string{
	"keepers", "length", "lower", "minLower", "minNumeric", "minSpecial", "minUpper",
	"number", "numeric", "overrideSpecial", "special", "upper",
}

var boolDefaults = []string{"lower", "special", "upper"}
var intDefaults = []string{"minLower", "minNumeric", "minSpecial", "minUpper"}

// checkInputs validates inputs and returns them with terraform-provider-random's defaults applied:
// special, upper, lower default to true, the minimums to 0, and numeric and the deprecated number
// mirror each other (both true when neither is set; they must agree when both are). Unknown values
// (in a preview) pass through unvalidated.
func checkInputs(news resource.PropertyMap) (resource.PropertyMap, []checkFailure) {
	out := resource.PropertyMap{}
	var failures []checkFailure
	known := map[string]bool{}
	for _, k := range inputKeys {
		known[k] = true
	}
	for k, v := range news {
		if !known[string(k)] {
			// Engine-internal keys such as __defaults are not inputs of ours; anything else is a mistake.
			if len(k) < 2 || k[:2] != "__" {
				failures = append(failures, checkFailure{string(k), fmt.Sprintf(
					"unknown property %q; allowed: %v", k, inputKeys)})
			}
			continue
		}
		if !v.IsNull() {
			out[k] = v
		}
	}
	typeOK := func(key string, want func(resource.PropertyValue) bool, form string) {
		v, ok := out[resource.PropertyKey(key)]
		if !ok || v.ContainsUnknowns() {
			return
		}
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !want(v) {
			failures = append(failures, checkFailure{key, fmt.Sprintf("%s is %v; it must be %s", key, v, form)})
		}
	}
	isInt := func(v resource.PropertyValue) bool {
		return v.IsNumber() && v.NumberValue() == float64(int64(v.NumberValue()))
	}
	typeOK("length", isInt, "a whole number")
	for _, k := range intDefaults {
		typeOK(k, isInt, "a whole number")
	}
	for _, k := range append([]string{"number", "numeric"}, boolDefaults...) {
		typeOK(k, resource.PropertyValue.IsBool, "true or false")
	}
	typeOK("overrideSpecial", resource.PropertyValue.IsString, "a string")
	typeOK("keepers", resource.PropertyValue.IsObject, "a map of strings")
	if _, ok := out["length"]; !ok {
		failures = append(failures, checkFailure{"length", "length is required: the number of characters to generate"})
	}
	if len(failures) > 0 {
		return out, failures
	}

	for _, k := range boolDefaults {
		if _, ok := out[resource.PropertyKey(k)]; !ok {
			out[resource.PropertyKey(k)] = resource.NewProperty(true)
		}
	}
	for _, k := range intDefaults {
		if _, ok := out[resource.PropertyKey(k)]; !ok {
			out[resource.PropertyKey(k)] = resource.NewProperty(0.0)
		}
	}
	number, hasNumber := out["number"]
	numeric, hasNumeric := out["numeric"]
	switch {
	case hasNumber && hasNumeric:
		if !number.ContainsUnknowns() && !numeric.ContainsUnknowns() && !number.DeepEquals(numeric) {
			failures = append(failures, checkFailure{"numeric", fmt.Sprintf(
				"number (%v) and numeric (%v) differ; set only numeric (number is deprecated)", number, numeric)})
		}
	case hasNumber:
		out["numeric"] = number
	case hasNumeric:
		out["number"] = numeric
	default:
		out["number"], out["numeric"] = resource.NewProperty(true), resource.NewProperty(true)
	}
	if out.ContainsUnknowns() {
		return out, failures
	}
	return out, append(failures, paramsOf(out).validate()...)
}

// paramsOf reads checked inputs (defaults applied, no unknowns).
func paramsOf(in resource.PropertyMap) stringParams {
	b := func(k string) bool {
		v := in[resource.PropertyKey(k)]
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		return v.IsBool() && v.BoolValue()
	}
	n := func(k string) int64 {
		v := in[resource.PropertyKey(k)]
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsNumber() {
			return 0
		}
		return int64(v.NumberValue())
	}
	s := ""
	if v, ok := in["overrideSpecial"]; ok {
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if v.IsString() {
			s = v.StringValue()
		}
	}
	return stringParams{
		Length: n("length"), Upper: b("upper"), Lower: b("lower"), Numeric: b("numeric"), Special: b("special"),
		MinUpper: n("minUpper"), MinLower: n("minLower"), MinNumeric: n("minNumeric"), MinSpecial: n("minSpecial"),
		OverrideSpecial: s,
	}
}

// packageSchema is a minimal valid Pulumi package schema for the two resources.
func packageSchema() map[string]any {
	str := map[string]any{"type": "string"}
	in := map[string]any{
		"keepers":         map[string]any{"type": "object", "additionalProperties": str},
		"length":          map[string]any{"type": "integer"},
		"lower":           map[string]any{"type": "boolean"},
		"minLower":        map[string]any{"type": "integer"},
		"minNumeric":      map[string]any{"type": "integer"},
		"minSpecial":      map[string]any{"type": "integer"},
		"minUpper":        map[string]any{"type": "integer"},
		"number":          map[string]any{"type": "boolean", "deprecationMessage": "Use numeric instead."},
		"numeric":         map[string]any{"type": "boolean"},
		"overrideSpecial": str,
		"special":         map[string]any{"type": "boolean"},
		"upper":           map[string]any{"type": "boolean"},
	}
	res := func(secret bool) map[string]any {
		props := map[string]any{"result": map[string]any{"type": "string", "secret": secret}}
		required := []string{"result"}
		if secret {
			props["bcryptHash"] = map[string]any{"type": "string", "secret": true}
			required = append(required, "bcryptHash")
		}
		for k, v := range in {
			props[k] = v
		}
		return map[string]any{
			"properties": props, "required": required,
			"inputProperties": in, "requiredInputs": []string{"length"},
		}
	}
	return map[string]any{
		"name":    "random",
		"version": Version,
		"resources": map[string]any{
			passwordToken: res(true),
			stringToken:   res(false),
		},
	}
}
