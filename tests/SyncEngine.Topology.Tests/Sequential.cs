// One topology for the assembly, and the outage test stops its database: every test in one collection, one at a time.
[assembly: Xunit.CollectionBehavior(Xunit.CollectionBehavior.CollectionPerAssembly)]
