module standard-stack/env-exec

go 1.22
