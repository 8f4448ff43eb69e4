module go.bytecodealliance.org/pkg

// Lowered from the upstream `go 1.25` so that every supported toolchain (1.24, 1.25, 1.26) builds it.
go 1.24
