using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/LightNets.Benchmarks -- --filter '*Gemm*'   (BenchmarkDotNet's own options)
// dotnet run -c Release --project bench/LightNets.Benchmarks -- int8-kernels [--repeats N]
// dotnet run -c Release --project bench/LightNets.Benchmarks -- int8-speedup [--threads N] [--rounds R] [--runs K] [--profile] [--separate] [--reduce-range] [MODEL...]
// dotnet run -c Release --project bench/LightNets.Benchmarks -- int8-layers [--threads N] [--rounds R] [MODEL...]
// dotnet run -c Release --project bench/LightNets.Benchmarks -- tier-speed [--threads N] [--rounds R] [--runs K] [MODEL...]
// dotnet run -c Release --project bench/LightNets.Benchmarks -- train-kernels [--threads N] [--layers] [MODEL...]
// dotnet run -c Release --project bench/LightNets.Benchmarks -- train-steps [--threads N] [MODEL...]
// dotnet run -c Release --project bench/LightNets.Benchmarks -- train-profile [--threads N] [--nodes] [--small-input] [MODEL...]
if (args.Length > 0 && args[0] == "int8-kernels") return LightNets.Benchmarks.Int8KernelReport.Run(args[1..]);
if (args.Length > 0 && args[0] == "int8-speedup") return LightNets.Benchmarks.Int8SpeedupReport.Run(args[1..]);
if (args.Length > 0 && args[0] == "int8-layers") return LightNets.Benchmarks.Int8LayerReport.Run(args[1..]);
if (args.Length > 0 && args[0] == "tier-speed") return LightNets.Benchmarks.TierSpeedReport.Run(args[1..]);
if (args.Length > 0 && args[0] == "train-kernels") return LightNets.Benchmarks.TrainKernelReport.Run(args[1..]);
if (args.Length > 0 && args[0] == "train-steps") return LightNets.Benchmarks.TrainStepReport.Run(args[1..]);
if (args.Length > 0 && args[0] == "train-profile") return LightNets.Benchmarks.TrainProfileReport.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
