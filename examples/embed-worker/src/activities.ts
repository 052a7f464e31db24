// This service's own activities, registered next to the tracker's.
export interface BatchReport {
  batchId: string;
  status: string | null;
  totalUrls: number;
}

export async function publishReport(report: BatchReport): Promise<string> {
  return `batch ${report.batchId}: ${report.status} (${report.totalUrls} URLs)`;
}
