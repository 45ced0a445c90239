using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/LightNets.Benchmarks -- --filter '*Gemm*'   (BenchmarkDotNet's own options)
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
