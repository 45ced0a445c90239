using LightNets.Cli;

return LightNetsCli.Run(args, Console.Out, Console.Error);
