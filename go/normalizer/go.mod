module wit_component

go 1.24

require go.bytecodealliance.org/pkg v0.2.2

require golang.org/x/text v0.21.0

// The runtime of the generated bindings, from the repository (go/witpkg): see its README.
replace go.bytecodealliance.org/pkg => ../witpkg
