using Sluice.Cli;

return await SluiceCommandLine.Build().Parse(args).InvokeAsync();
