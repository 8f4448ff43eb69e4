module wit_component

go 1.24

require go.bytecodealliance.org/pkg v0.2.2

// The runtime of the generated bindings, from the repository (go/witpkg): see ARCHITECTURE.md.
replace go.bytecodealliance.org/pkg => ../witpkg
