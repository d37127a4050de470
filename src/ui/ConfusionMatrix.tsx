/** A confusion matrix (rows: gold, columns: predicted) with each class's recall. */
export function ConfusionMatrix({ labels, matrix, caption }: { labels: string[]; matrix: number[][]; caption: string }) {
  return (
    <table className="confusion">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">gold \ predicted</th>
          {labels.map((l) => (
            <th scope="col" key={l}>
              {l}
            </th>
          ))}
          <th scope="col">recall</th>
        </tr>
      </thead>
      <tbody>
        {labels.map((g, i) => {
          const support = matrix[i].reduce((a, b) => a + b, 0);
          return (
            <tr key={g}>
              <th scope="row">{g}</th>
              {matrix[i].map((n, j) => (
                <td key={j} className={i === j ? 'diagonal' : undefined}>
                  {n}
                </td>
              ))}
              <td>{support ? `${((100 * matrix[i][i]) / support).toFixed(1)}%` : '–'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
