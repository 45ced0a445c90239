using LightNets.Training.Kernels.Cpu.Norm;

namespace LightNets.Training.Kernels.Cpu;

public sealed unsafe partial class CpuTrainKernels
{
    /// <summary>
    /// BatchNorm in training mode, as the reference defines it. The batch mean and variance come from one pass of
    /// per-channel sums in double of x − x[0, j] (shifted by the channel's first value, so the variance does not
    /// cancel), then one pass applies (x − mean)·(γ·invStd) + β with a fused multiply-add.
    /// </summary>
    public void BatchNormTrainForward(TrainContext ctx, int rows, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float eps, float momentum, Span<float> runningMean, Span<float> runningVar, Span<float> saveMean, Span<float> saveInvStd, Span<float> y) =>
        TrainForward(ctx, rows, c, null, x, gamma, beta, eps, momentum, runningMean, runningVar, saveMean, saveInvStd, default, y);

    /// <summary>
    /// <see cref="BatchNormTrainForward"/> with the activation applied in the same pass (z = f(y), y never stored): the
    /// statistics pass, then one pass that normalises and activates, where BatchNorm and activation take three.
    /// Bit-identical to the two kernels in turn.
    /// </summary>
    public void BatchNormActivationTrainForward(TrainContext ctx, int rows, int c, Activation a, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, float eps, float momentum, Span<float> runningMean, Span<float> runningVar, Span<float> saveMean,
        Span<float> saveInvStd, Span<float> saveScale, Span<float> z)
    {
        KernelArgs.Length<float>(saveScale, c, nameof(saveScale));
        TrainForward(ctx, rows, c, a, x, gamma, beta, eps, momentum, runningMean, runningVar, saveMean, saveInvStd, saveScale, z);
    }

    private void TrainForward(TrainContext ctx, int rows, int c, Activation? a, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float eps, float momentum, Span<float> runningMean, Span<float> runningVar, Span<float> saveMean, Span<float> saveInvStd, Span<float> saveScale,
        Span<float> y)
    {
        if (rows < 2) throw new ArgumentException($"batch normalization in training mode needs more than 1 value per channel, got {rows}", nameof(rows));
        CheckNorm(rows, c, x, y, gamma, beta);
        KernelArgs.Length<float>(runningMean, c, nameof(runningMean));
        KernelArgs.Length<float>(runningVar, c, nameof(runningVar));
        KernelArgs.Length<float>(saveMean, c, nameof(saveMean));
        KernelArgs.Length<float>(saveInvStd, c, nameof(saveInvStd));
        var ws = For(ctx);
        var plan = new ChannelSums.Plan(rows, c, ctx.Threads);
        var b = NormBuffers.Of(ctx, plan);
        float* scratch = b.Scratch, consts = b.Consts;
        double* shift = b.Shift, s1 = b.S1, s2 = b.S2;
        fixed (float* px = x)
        fixed (float* py = y)
        {
            for (var j = 0; j < plan.Cp; j++) shift[j] = j < c ? px[j] : 0;
            ws.Sums.Run(ctx, plan, ChannelSumKind.Moments, px, null, shift, s1, s2, scratch);
            float* mean = consts, scale = consts + plan.Cp, shifted = consts + 2 * plan.Cp;
            double count = rows;
            for (var j = 0; j < plan.Cp; j++)
            {
                if (j >= c)
                {
                    mean[j] = scale[j] = shifted[j] = 0f;
                    continue;
                }
                var centre = s1[j] / count;
                var variance = Math.Max(0, s2[j] / count - centre * centre);
                var invStd = 1 / Math.Sqrt(variance + eps);
                var m = (float)(shift[j] + centre);
                saveMean[j] = m;
                saveInvStd[j] = (float)invStd;
                runningMean[j] = (1f - momentum) * runningMean[j] + momentum * m;
                runningVar[j] = (1f - momentum) * runningVar[j] + momentum * (float)(variance * count / (count - 1));
                mean[j] = m;
                scale[j] = (float)(gamma[j] * invStd);
                if (!saveScale.IsEmpty) saveScale[j] = scale[j];
                shifted[j] = beta[j];
            }
            if (a is { } act) ws.Affine.NormalizeActivate(ctx, rows, c, act, px, mean, scale, shifted, py);
            else ws.Affine.Normalize(ctx, rows, c, px, mean, scale, shifted, py);
        }
    }

    /// <summary>
    /// The BatchNorm gradients, as the reference defines them: Σ dy and Σ dy·(x − mean) per channel in one pass of double
    /// sums, then dx = γ·invStd·((dy − Σdy/rows) − (x − mean)·invStd²·Σdy(x − mean)/rows) in one pass.
    /// </summary>
    public void BatchNormBackward(TrainContext ctx, int rows, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveInvStd, Span<float> dx, Span<float> dgamma, Span<float> dbeta) =>
        Backward(ctx, rows, c, null, x, dy, gamma, default, saveMean, saveInvStd, default, dx, dgamma, dbeta);

    /// <summary>
    /// The gradients of <see cref="BatchNormActivationTrainForward"/> from the activation's output gradient dz: the
    /// activation's slope is taken at y recomputed from x with the forward's constants inside both BatchNorm passes, so
    /// neither y nor dy is ever stored. Bit-identical to the activation's backward followed by <see cref="BatchNormBackward"/>.
    /// </summary>
    public void BatchNormActivationBackward(TrainContext ctx, int rows, int c, Activation a, ReadOnlySpan<float> x, ReadOnlySpan<float> dz,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveInvStd,
        ReadOnlySpan<float> saveScale, Span<float> dx, Span<float> dgamma, Span<float> dbeta)
    {
        KernelArgs.Length(beta, c, nameof(beta));
        KernelArgs.Length(saveScale, c, nameof(saveScale));
        Backward(ctx, rows, c, a, x, dz, gamma, beta, saveMean, saveInvStd, saveScale, dx, dgamma, dbeta);
    }

    private void Backward(TrainContext ctx, int rows, int c, Activation? a, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> saveMean, ReadOnlySpan<float> saveInvStd, ReadOnlySpan<float> saveScale, Span<float> dx,
        Span<float> dgamma, Span<float> dbeta)
    {
        KernelArgs.Positive(rows, nameof(rows));
        KernelArgs.Positive(c, nameof(c));
        KernelArgs.Length(x, (long)rows * c, nameof(x));
        KernelArgs.Length(dy, (long)rows * c, nameof(dy));
        KernelArgs.Length<float>(dx, (long)rows * c, nameof(dx));
        KernelArgs.Length(gamma, c, nameof(gamma));
        KernelArgs.Length(saveMean, c, nameof(saveMean));
        KernelArgs.Length(saveInvStd, c, nameof(saveInvStd));
        KernelArgs.Length<float>(dgamma, c, nameof(dgamma));
        KernelArgs.Length<float>(dbeta, c, nameof(dbeta));
        var ws = For(ctx);
        var plan = new ChannelSums.Plan(rows, c, ctx.Threads);
        var b = NormBuffers.Of(ctx, plan);
        float* scratch = b.Scratch, consts = b.Consts;
        double* shift = b.Shift, s1 = b.S1, s2 = b.S2;
        fixed (float* px = x)
        fixed (float* pdy = dy)
        fixed (float* pdx = dx)
        {
            float* mean = consts, scale = consts + plan.Cp, meanDy = consts + 2 * plan.Cp, slope = consts + 3 * plan.Cp;
            // The forward's constants, with which a fused backward recomputes y exactly: mean, γ/σ as it rounded it, β.
            float* forwardScale = consts + 4 * plan.Cp, forwardShift = consts + 5 * plan.Cp;
            for (var j = 0; j < plan.Cp; j++)
            {
                shift[j] = j < c ? saveMean[j] : 0;
                mean[j] = j < c ? saveMean[j] : 0f;
                forwardScale[j] = j < c && a is not null ? saveScale[j] : 0f;
                forwardShift[j] = j < c && a is not null ? beta[j] : 0f;
            }
            if (a is { } act) ws.Sums.RunActivated(ctx, plan, act, pdy, px, mean, forwardScale, forwardShift, shift, s1, s2, scratch);
            else ws.Sums.Run(ctx, plan, ChannelSumKind.Cross, pdy, px, shift, s1, s2, scratch);
            double count = rows;
            for (var j = 0; j < plan.Cp; j++)
            {
                if (j >= c)
                {
                    scale[j] = meanDy[j] = slope[j] = 0f;
                    continue;
                }
                double invStd = saveInvStd[j];
                dbeta[j] = (float)s1[j];
                dgamma[j] = (float)(s2[j] * invStd);
                scale[j] = (float)(gamma[j] * invStd);
                meanDy[j] = (float)(s1[j] / count);
                slope[j] = (float)(-invStd * invStd * s2[j] / count);
            }
            if (a is { } f) ws.Affine.BackwardActivated(ctx, rows, c, f, px, pdy, mean, forwardScale, forwardShift, scale, meanDy, slope, pdx);
            else ws.Affine.Backward(ctx, rows, c, px, pdy, mean, scale, meanDy, slope, pdx);
        }
    }

    /// <summary>BatchNorm with the running statistics (a frozen layer): (x − runningMean)·(γ/√(runningVar + eps)) + β.</summary>
    public void BatchNormEvalForward(TrainContext ctx, int rows, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float eps, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> y)
    {
        KernelArgs.Positive(rows, nameof(rows));
        CheckNorm(rows, c, x, y, gamma, beta);
        KernelArgs.Length(runningMean, c, nameof(runningMean));
        KernelArgs.Length(runningVar, c, nameof(runningVar));
        var ws = For(ctx);
        var cp = (c + 15) & ~15;
        var consts = ctx.ScratchOf(3L * cp);
        float* mean = consts, scale = consts + cp, shifted = consts + 2 * cp;
        new Span<float>(consts, 3 * cp).Clear();
        for (var j = 0; j < c; j++)
        {
            mean[j] = runningMean[j];
            scale[j] = gamma[j] * (1f / MathF.Sqrt(runningVar[j] + eps));
            shifted[j] = beta[j];
        }
        fixed (float* px = x)
        fixed (float* py = y)
            ws.Affine.Normalize(ctx, rows, c, px, mean, scale, shifted, py);
    }

    private static void CheckNorm(int rows, int c, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta)
    {
        KernelArgs.Positive(c, nameof(c));
        KernelArgs.Length(x, (long)rows * c, nameof(x));
        KernelArgs.Length(y, (long)rows * c, nameof(y));
        KernelArgs.Length(gamma, c, nameof(gamma));
        KernelArgs.Length(beta, c, nameof(beta));
    }

    /// <summary>One scratch block for a BatchNorm call: the sums' partials, the shift and the two sums (doubles), six constant rows.</summary>
    private readonly struct NormBuffers
    {
        public float* Scratch { get; init; }
        public double* Shift { get; init; }
        public double* S1 { get; init; }
        public double* S2 { get; init; }
        public float* Consts { get; init; }

        public static NormBuffers Of(TrainContext ctx, in ChannelSums.Plan plan)
        {
            var doubles = Partition.Align(2L * plan.Cp);
            var scratch = ctx.ScratchOf(plan.ScratchFloats + 3 * doubles + 6L * plan.Cp);
            var shift = (double*)(scratch + plan.ScratchFloats);
            return new NormBuffers
            {
                Scratch = scratch,
                Shift = shift,
                S1 = shift + plan.Cp,
                S2 = shift + 2 * plan.Cp,
                Consts = scratch + plan.ScratchFloats + 3 * doubles,
            };
        }
    }
}
