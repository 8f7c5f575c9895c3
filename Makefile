# The commands the README names. Each target is a script under scripts/ so CI and people run the same thing.
.PHONY: test test-unit test-tools test-images test-e2e test-e2e-oldest test-swarm lint deploy-dev tools images bench

test:          ## every tier: unit specs, image tests, end-to-end on a real engine
	scripts/test
test-unit:
	scripts/test unit
test-tools:
	scripts/test tools
test-images:
	scripts/test images
test-e2e:
	scripts/test e2e
test-e2e-oldest:
	scripts/test e2e-oldest
test-swarm:
	scripts/test swarm
lint:          ## ruff, type checks, hadolint, actionlint, tsc and eslint
	scripts/lint
deploy-dev:    ## pulumi up for the dev stack with a local file backend
	scripts/deploy-dev
tools:         ## build the Pulumi CLI and plugins under tools/ into .tools/bin
	scripts/build-tools
images:        ## build the three application images on the local engine and print their sizes
	scripts/build-images
bench:
	bench/run
