using SyncEngine.Cli;

return await Commands.Root().Parse(args).InvokeAsync();
