using LightNets.Graphs;
using LightNets.Models.Blocks;
using LightNets.Runtime;
using LightNets.Runtime.Kernels.Cpu;
using LightNets.Tensors;
using ModelActivation = LightNets.Models.Activation;

namespace LightNets.Tests.Runtime.Cpu;

/// <summary>
/// NaN and ±∞ through the compiled plan, against the reference interpreter, which is the specification
/// (NonFiniteReferenceTests): every step kind and fused variant — im2col convolutions, 1×1 GEMMs with each
/// activation and with a residual, grouped 1×1s, depthwise 3×3/5×5/7×7 at strides 1–3, the fused
/// expansion–depthwise–projection bands and their channel split, SE scaling folded into a GEMM and not folded, max
/// and average pools, global pooling, fully connected layers, Softmax, concat/split/shuffle channel maps, broadcast
/// adds, and every activation alone and in every epilogue — on every tier this process runs, one and two threads,
/// fused and unfused. In a child process with AVX-512 or all intrinsics switched off, <see cref="TierProcessTests"/>
/// runs these again (this class is in its namespace).
/// <para>
/// Non-finite values go into the input (two NaN, two +∞, two −∞ at seeded positions), then into each initializer in
/// turn (a NaN, a +∞ and a −∞), BatchNorm parameters included: a NaN weight spreads through a GEMM to every output of
/// its channel, as it should, and an infinite γ must not be folded into the weights (FoldBatchNorm), where it would
/// turn γ·(conv − μ) = ±∞ into a NaN sum of infinite taps.
/// </para>
/// </summary>
public class NonFiniteRuntimeTests(ITestOutputHelper output)
{
    /// <summary>
    /// For the finite elements. Measured on these graphs (the test prints it), all tiers, one and two threads, fused and
    /// unfused: largest |err| 8.3·10⁻⁷ where |ref| ≤ 1, largest |err|/|ref| 7.2·10⁻⁷ where |ref| &gt; 1 (float32 sums in
    /// other orders, FMA, BatchNorm folded into the weights); the bound is about 6× that.
    /// </summary>
    private static readonly ElementTolerance Tolerance = new(5e-6, 4e-6);

    private const float NaN = float.NaN;
    private const float Inf = float.PositiveInfinity;

    /// <summary>Values that catch clamps and products in the wrong order: NaN, ±∞, the overflow edge, the activations' kinks, ±0, a subnormal.</summary>
    private static readonly float[] Specials =
    [
        NaN, Inf, -Inf, float.MaxValue, -float.MaxValue, 1e38f, -1e38f, 3e37f, -0f, 0f, -3f, 3f, 6f, -6f,
        5.9999f, 6.0001f, 2.5f, -2.5f, 1e-30f, -1e-40f, 0.5f,
    ];

    private static readonly (string Name, Func<GraphBuilder, Value, Value> Apply)[] Acts =
    [
        ("linear", (b, x) => x), ("relu", (b, x) => b.Relu(x)), ("relu6", (b, x) => b.Relu6(x)),
        ("h-swish", (b, x) => b.HardSwish(x)), ("h-sigmoid", (b, x) => b.HardSigmoid(x)),
    ];

    /// <summary>A graph, and either a fixed input (no injection) or none (a normal input, then each injection).</summary>
    private sealed record Case(Func<Graph> Build, Func<Shape, Tensor>? Input = null);

    private static readonly Dictionary<string, Case> Cases = CreateCases();

    public static TheoryData<string, Isa> Data()
    {
        var data = new TheoryData<string, Isa>();
        foreach (var isa in Emulation.Tiers)
        {
            foreach (var name in Cases.Keys) data.Add(name, isa);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Data))]
    public void Runtime_gives_the_references_nan_and_infinities_and_its_finite_values(string name, Isa isa)
    {
        var c = Cases[name];
        var graph = c.Build();
        var error = default(ElementError);
        long finite = 0, nonFinite = 0;
        foreach (var (what, g, x) in Variants(graph, c.Input))
        {
            var expected = ReferenceInterpreter.Run(g, x);
            foreach (var v in expected.Data)
            {
                if (float.IsFinite(v)) finite++;
                else nonFinite++;
            }
            foreach (var (threads, fuse) in new[] { (1, true), (2, true), (1, false) })
            {
                using var session = new InferenceSession(g, new SessionOptions { GuardBuffers = true, Threads = threads, Isa = isa, Fuse = fuse });
                var actual = session.Run(x);
                ReferenceAssert.Matches(expected, actual, Tolerance, $"{name}, {what}, {threads} thread(s){(fuse ? "" : ", unfused")} on {isa}");
                error = error.Max(ElementError.Of(expected, actual));
            }
        }
        output.WriteLine($"{name} on {isa}: {error}; {nonFinite} non-finite and {finite} finite reference values");
        Assert.True(finite > 0 && nonFinite > 0, $"{name}: the reference outputs must hold both finite and non-finite values to test anything");
    }

    /// <summary>
    /// The runs of one case: its fixed input; or a normal input with NaN and ±∞ at seeded positions, then for each
    /// initializer (in name order) the normal input and that initializer with a NaN, a +∞ and a −∞.
    /// </summary>
    private static IEnumerable<(string What, Graph Graph, Tensor Input)> Variants(Graph g, Func<Shape, Tensor>? fixedInput)
    {
        if (fixedInput is not null)
        {
            yield return ("special values", g, fixedInput(g.Input.Shape));
            yield break;
        }
        var clean = new Rng(11).NormalTensor(g.Input.Shape.ToArray());
        var poisoned = clean.Clone();
        Inject(poisoned, new Rng(12), NaN, NaN, Inf, Inf, -Inf, -Inf);
        yield return ("NaN/±∞ in the input", g, poisoned);

        var seed = 100UL;
        foreach (var name in g.Initializers.Keys.Order(StringComparer.Ordinal))
        {
            var initializers = new Dictionary<string, Tensor>(g.Initializers, StringComparer.Ordinal);
            var t = initializers[name].Clone();
            Inject(t, new Rng(seed++), NaN, Inf, -Inf);
            initializers[name] = t;
            yield return ($"NaN/±∞ in '{name}'", g.With(initializers: initializers), clean);
        }
    }

    /// <summary>Writes <paramref name="values"/> at distinct seeded positions (as many as the tensor holds).</summary>
    private static void Inject(Tensor t, Rng rng, params float[] values)
    {
        var used = new HashSet<int>();
        foreach (var v in values.Take(t.Data.Length))
        {
            int i;
            do i = (int)(rng.NextUInt64() % (ulong)t.Data.Length); while (!used.Add(i));
            t.Data[i] = v;
        }
    }

    private static Tensor SpecialInput(Shape shape)
    {
        var t = new Tensor(shape);
        for (var i = 0; i < t.Length; i++) t.Data[i] = Specials[i % Specials.Length];
        return t;
    }

    private static GraphBuilder New(string name, ulong seed) => new(name, new WeightInit(Seed: seed, RandomizeStatistics: true));

    /// <summary>A 1×1 convolution from the NCHW graph input, so that what follows reads an NHWC tensor of the plan.</summary>
    private static Value Stem(GraphBuilder b, Shape input, int channels) => b.Conv2d(b.Input("x", input), channels, 1, name: "stem");

    /// <summary>The same graph with every convolution weight set to 1 (single-input-channel convolutions then copy their input exactly).</summary>
    private static Graph Ones(Graph g)
    {
        var initializers = new Dictionary<string, Tensor>(g.Initializers, StringComparer.Ordinal);
        foreach (var node in g.Nodes.Where(n => n.Op is Conv2dOp))
        {
            var w = initializers[node.Inputs[1]].Clone();
            w.Data.AsSpan().Fill(1f);
            initializers[node.Inputs[1]] = w;
        }
        return g.With(initializers: initializers);
    }

    private static Dictionary<string, Case> CreateCases()
    {
        var cases = new Dictionary<string, Case>(StringComparer.Ordinal);
        var seed = 1UL;

        // im2col + GEMM: the 3×3/2 stem straight from the NCHW input (interior read in place, the border unfolded).
        foreach (var (act, apply) in Acts)
        {
            var s = seed++;
            cases[$"stem conv 3×3/2 + {act}"] = new(() =>
            {
                var b = New("stem", s);
                b.Output(apply(b, b.BatchNorm(b.Conv2d(b.Input("x", Shape.Nchw(1, 3, 15, 15)), 20, 3, 2), 1e-5f)));
                return b.Build();
            });
        }
        cases["dilated 5×5 and grouped 3×3 convs"] = new(() =>
        {
            var b = New("dense", 40);
            var x = b.Input("x", Shape.Nchw(1, 4, 11, 11));
            var y = b.Relu6(b.BatchNorm(b.Conv2d(x, 8, new Conv2dOp(5, 5, 1, 1, Padding2d.Symmetric(4), 2, 2, 1)), 1e-5f));
            y = b.HardSwish(b.BatchNorm(b.Conv2d(y, 10, new Conv2dOp(3, 3, 1, 1, new Padding2d(0, 0, 1, 1), 1, 1, 2)), 1e-5f));
            b.Output(y);
            return b.Build();
        });

        // 1×1 GEMMs with each epilogue, and with a residual.
        foreach (var (act, apply) in Acts)
        {
            var s = seed++;
            cases[$"pointwise + {act}"] = new(() =>
            {
                var b = New("pw", s);
                var x = Stem(b, Shape.Nchw(1, 9, 7, 7), 17);
                b.Output(apply(b, b.BatchNorm(b.Conv2d(x, 24, 1), 1e-5f)));
                return b.Build();
            });
        }
        cases["pointwise + residual + relu"] = new(() =>
        {
            var b = New("pw-res", 50);
            var x = Stem(b, Shape.Nchw(1, 9, 7, 7), 16);
            b.Output(b.Relu(b.Add(b.BatchNorm(b.Conv2d(x, 16, 1), 1e-5f), x)));
            return b.Build();
        });

        // Depthwise alone (its input has a second reader, so no expansion is deferred into it): tiled 3- and 5-wide
        // windows at strides 1 and 2, the generic loops for 7×7 and stride 3.
        (int K, int S)[] windows = [(3, 1), (3, 2), (5, 1), (5, 2), (7, 1), (3, 3)];
        for (var i = 0; i < windows.Length; i++)
        {
            var (k, st) = windows[i];
            var (act, apply) = Acts[i % Acts.Length];
            var s = seed++;
            cases[$"depthwise {k}×{k}/{st} + {act}"] = new(() =>
            {
                var b = New("dw", s);
                var x = Stem(b, Shape.Nchw(1, 9, 13, 13), 20);
                var y = apply(b, b.BatchNorm(b.DepthwiseConv2d(x, k, st), 1e-5f));
                b.Output(st == 1 ? b.Add(y, x) : b.Concat([y, b.AveragePool(x, 3, st, 1)]));
                return b.Build();
            });
        }

        // Expansion → depthwise → projection in bands (with a residual, with SE folded into the projection), the
        // expansion and depthwise without a projection, and the channel split that two threads take on a 7×7 map.
        cases["inverted residual, relu6"] = new(() =>
        {
            var b = New("ir", 60);
            b.Output(InvertedResidual.Build(b, Stem(b, Shape.Nchw(1, 8, 9, 9), 16), 48, 16, 3, 1, ModelActivation.Relu6, null, 1e-5f));
            return b.Build();
        });
        cases["inverted residual /2 with SE, h-swish"] = new(() =>
        {
            var b = New("ir-se", 61);
            b.Output(InvertedResidual.Build(b, Stem(b, Shape.Nchw(1, 8, 11, 11), 16), 40, 24, 5, 2, ModelActivation.HardSwish, 16, 1e-5f));
            return b.Build();
        });
        cases["inverted residual with SE and residual, relu"] = new(() =>
        {
            var b = New("ir-se-res", 62);
            b.Output(InvertedResidual.Build(b, Stem(b, Shape.Nchw(1, 8, 7, 7), 24), 72, 24, 3, 1, ModelActivation.Relu, 8, 1e-5f));
            return b.Build();
        });
        cases["expansion and depthwise, no projection"] = new(() =>
        {
            var b = New("expand-dw", 63);
            var y = b.Relu(b.BatchNorm(b.Conv2d(Stem(b, Shape.Nchw(1, 6, 9, 9), 12), 72, 1), 1e-5f));
            y = b.Relu6(b.BatchNorm(b.DepthwiseConv2d(y, 3, 2), 1e-5f));
            b.Output(b.Relu(y));
            return b.Build();
        });
        cases["channel split expansion and depthwise"] = new(() =>
        {
            var b = New("split", 64);
            var x = b.Relu(Stem(b, Shape.Nchw(1, 40, 7, 7), 40));
            var y = b.HardSwish(b.BatchNorm(b.Conv2d(x, 240, 1), 1e-5f));
            y = b.Relu(b.BatchNorm(b.DepthwiseConv2d(y, 5, 1), 1e-5f));
            b.Output(b.Add(b.BatchNorm(b.Conv2d(y, 40, 1), 1e-5f), x));
            return b.Build();
        });

        // ShuffleNet units: grouped 1×1s, shuffles, splits and concats as channel maps, the 3×3/2 average-pool shortcut.
        cases["shufflenetv1 units"] = new(() =>
        {
            var b = New("sv1", 70);
            var x = Stem(b, Shape.Nchw(1, 6, 9, 9), 24);
            using (b.Block("u1")) x = ShuffleUnitV1.Build(b, x, 48, 12, 3, 2, true, 1e-5f);
            using (b.Block("u2")) x = ShuffleUnitV1.Build(b, x, 48, 12, 3, 1, true, 1e-5f);
            b.Output(x);
            return b.Build();
        });
        cases["shufflenetv2 units"] = new(() =>
        {
            var b = New("sv2", 71);
            var x = Stem(b, Shape.Nchw(1, 6, 9, 9), 16);
            using (b.Block("down")) x = ShuffleUnitV2.DownSampling(b, x, 16, 16, 16, 1e-5f);
            using (b.Block("basic")) x = ShuffleUnitV2.Basic(b, x, 1e-5f);
            b.Output(x);
            return b.Build();
        });

        // Pools.
        cases["max pools (padded, ceil mode)"] = new(() =>
        {
            var b = New("maxpool", 80);
            var x = b.Relu(b.BatchNorm(b.Conv2d(b.Input("x", Shape.Nchw(1, 3, 17, 17)), 12, 3, 2), 1e-5f));
            var p = b.MaxPool(x, 3, 2, 1);
            var q = b.AddNode("ceil", new MaxPoolOp(3, 3, 2, 2, Padding2d.None, CeilMode: true), [p.Name], ["ceil"])[0];
            b.Output(q);
            return b.Build();
        });
        cases["average pools (with and without the padding)"] = new(() =>
        {
            var b = New("avgpool", 81);
            var x = Stem(b, Shape.Nchw(1, 5, 9, 9), 17);
            b.Output(b.Concat([b.AveragePool(x, 3, 2, 1, countIncludePad: true), b.AveragePool(x, 3, 2, 1, countIncludePad: false)]));
            return b.Build();
        });

        // Heads: global pooling, fully connected layers with an epilogue, a flatten of a feature map, SE not folded.
        cases["classifier head"] = new(() =>
        {
            var b = New("head", 90);
            var x = b.Flatten(b.GlobalAveragePool(Stem(b, Shape.Nchw(1, 16, 5, 5), 24)));
            b.Output(b.Gemm(b.HardSwish(b.Gemm(x, 20)), 10));
            return b.Build();
        });
        cases["flatten of a feature map"] = new(() =>
        {
            var b = New("flatten", 91);
            b.Output(b.Gemm(b.Flatten(Stem(b, Shape.Nchw(1, 8, 3, 3), 8)), 12));
            return b.Build();
        });
        cases["SE gate not folded, broadcast add"] = new(() =>
        {
            var b = New("se-mul", 92);
            var x = Stem(b, Shape.Nchw(1, 8, 5, 5), 16);
            var y = b.Relu(SqueezeExcite.Build(b, x, 8));
            var shift = new Value(b.AddInitializer("shift", new Rng(93).NormalTensor(1, 16, 1, 1)), Shape.Nchw(1, 16, 1, 1));
            b.Output(b.Relu6(b.Add(y, shift)));
            return b.Build();
        });

        // Special values straight into every activation: on the NCHW input (per-element path), after an identity max
        // pool (NHWC: the flat SIMD path of ReLU/ReLU6), and in the epilogues of a 1-channel convolution with weight 1
        // (GEMM), of a 1×1 depthwise convolution with weight 1 (depthwise), and of an Add.
        cases["activations on special values"] = new(() =>
        {
            var b = New("acts", 100);
            var x = b.Input("x", Shape.Nchw(1, 17, 3, 5));
            Func<GraphBuilder, Value, Value>[] all =
            [
                (g, v) => g.Relu(v), (g, v) => g.Relu6(v), (g, v) => g.Clip(v, -1f, 2f), (g, v) => g.HardSigmoid(v),
                (g, v) => g.AddNode(v.Name + ".hsigmoid-onnx", new HardSigmoidOp(0.2f, 0.5f), [v.Name], [v.Name + ".hsigmoid-onnx"])[0], (g, v) => g.HardSwish(v), (g, v) => g.Sigmoid(v),
            ];
            var p = b.MaxPool(x, 1, 1, 0);
            b.Output(b.Concat([.. all.Select(f => f(b, x)), .. all.Select(f => f(b, p))]));
            return b.Build();
        }, SpecialInput);
        cases["activation epilogues on special values"] = new(() =>
        {
            var b = New("epilogues", 101);
            var x = b.Input("x", Shape.Nchw(1, 17, 3, 5));
            var single = b.SliceChannels(x, 0, 1);
            var p = b.MaxPool(x, 1, 1, 0);
            var parts = new List<Value>();
            foreach (var (_, apply) in Acts)
            {
                parts.Add(apply(b, b.Conv2d(single, 1, 1)));
                parts.Add(apply(b, b.DepthwiseConv2d(p, 1)));
                parts.Add(apply(b, b.Add(p, b.MaxPool(x, 1, 1, 0))));
            }
            b.Output(b.Concat(parts));
            return Ones(b.Build());
        }, SpecialInput);
        cases["softmax rows with NaN and infinities"] = new(() =>
        {
            var b = New("softmax", 102);
            b.Output(b.Softmax(b.Flatten(b.Input("x", Shape.Nchw(6, 19, 1, 1)))));
            return b.Build();
        }, shape =>
        {
            var t = new Rng(103).NormalTensor(shape.ToArray());
            t.At(0, 5, 0, 0) = NaN;
            t.At(1, 18, 0, 0) = Inf;
            t.At(2, 0, 0, 0) = -Inf;
            t.At(2, 17, 0, 0) = -Inf;
            for (var j = 0; j < 19; j++) t.At(3, j, 0, 0) = -Inf;
            t.At(4, 3, 0, 0) = float.MaxValue; // finite: exp(0) there, 0 elsewhere
            return t;
        });
        return cases;
    }
}
